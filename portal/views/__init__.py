"""The portal's views, one module per section of the navigation. Thin: parse, call one service or
selector (the API's and the admin's own), render."""
