"""Stand-ins for the services the bot talks to, on loopback."""
