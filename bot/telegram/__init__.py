"""The Telegram adapter: parses updates, authorises, calls the domain and renders replies."""
