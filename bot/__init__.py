"""Action Learning Sets for Microsoft Teams: the bot, its rules and its store."""
