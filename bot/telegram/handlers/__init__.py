"""Telegram handlers: each parses an update, authorises the sender, calls one domain service and renders."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram.handlers import checkins, menu, onboarding


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", onboarding.on_start, filters=private))
    application.add_handler(CommandHandler("menu", menu.on_menu, filters=private))
    application.add_handler(CommandHandler("language", menu.on_language, filters=private))
    application.add_handler(CommandHandler("help", menu.on_help, filters=private))
    application.add_handler(CommandHandler("family", menu.on_family, filters=private))
    application.add_handler(CommandHandler("worried", checkins.on_worried, filters=private))
    application.add_handler(CommandHandler("checkin", checkins.on_checkin, filters=private))
    application.add_handler(CallbackQueryHandler(onboarding.on_button, pattern=r"^ob:"))
    application.add_handler(CallbackQueryHandler(menu.on_family_button, pattern=r"^fam:"))
    application.add_handler(CallbackQueryHandler(menu.on_language_button, pattern=r"^lang:"))
    application.add_handler(CallbackQueryHandler(checkins.on_checkin_button, pattern=r"^(ci|cn):"))
    application.add_handler(CallbackQueryHandler(checkins.on_worry_button, pattern=r"^wr:"))
    application.add_handler(CallbackQueryHandler(checkins.on_slot_button, pattern=r"^sch(:|$)"))
    application.add_handler(CallbackQueryHandler(menu.on_unknown_button))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, menu.on_text))
    application.add_handler(MessageHandler(private & filters.VOICE, checkins.on_voice))
