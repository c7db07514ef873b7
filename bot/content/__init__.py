"""The content pack (`content/`): data files with a schema, loaded and validated at start-up."""

from bot.content.pack import ContentError, ContentPack, load_content_pack

__all__ = ["ContentError", "ContentPack", "load_content_pack"]
