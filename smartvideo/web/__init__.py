"""The web edge: Flask app factory, the player blueprint, and the services the views share."""
