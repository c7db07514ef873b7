"""`python -m bot …`: the admin command line and `run` (see bot/cli.py)."""

from bot.cli import app

if __name__ == "__main__":
    app(prog_name="python -m bot")
