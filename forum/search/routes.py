"""Page views (thin: parse the request, call one service, render)."""
