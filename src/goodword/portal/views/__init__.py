"""Portal views, one module per section. Views validate, call one service or selector, and
render; rules live in the services."""
