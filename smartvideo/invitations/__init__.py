"""Invitations: the email and SMS that bring a customer to their video, and how they travel."""
