"""Telegram handlers: each parses an update, authorises the sender, calls one domain service and renders."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram.handlers import cases, checkins, contact, guidance, menu, onboarding


def register(application: Application) -> None:
    # New messages only: an edited one has no `update.message`, and is read for risk by its own handler below.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", onboarding.on_start, filters=private))
    application.add_handler(CommandHandler("menu", menu.on_menu, filters=private))
    application.add_handler(CommandHandler("language", menu.on_language, filters=private))
    application.add_handler(CommandHandler("help", menu.on_help, filters=private))
    application.add_handler(CommandHandler("family", menu.on_family, filters=private))
    application.add_handler(CommandHandler("worried", checkins.on_worried, filters=private))
    application.add_handler(CommandHandler("checkin", checkins.on_checkin, filters=private))
    application.add_handler(CommandHandler("tips", guidance.on_tips, filters=private))
    application.add_handler(CommandHandler("cases", cases.on_cases, filters=private))
    groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("linkgroup", cases.on_link_group, filters=groups))
    application.add_handler(CommandHandler("unlinkgroup", cases.on_unlink_group, filters=groups))
    application.add_handler(CommandHandler("calls", contact.on_calls, filters=private))
    application.add_handler(CallbackQueryHandler(onboarding.on_button, pattern=r"^ob:"))
    application.add_handler(CallbackQueryHandler(menu.on_family_button, pattern=r"^fam:"))
    application.add_handler(CallbackQueryHandler(menu.on_language_button, pattern=r"^lang:"))
    application.add_handler(CallbackQueryHandler(checkins.on_checkin_button, pattern=r"^(ci|cn):"))
    application.add_handler(CallbackQueryHandler(checkins.on_worry_button, pattern=r"^wr:"))
    application.add_handler(CallbackQueryHandler(checkins.on_slot_button, pattern=r"^sch(:|$)"))
    application.add_handler(CallbackQueryHandler(cases.on_case_button, pattern=r"^((cq|cs|cr|cf):|cp$)"))
    application.add_handler(CallbackQueryHandler(cases.on_reply_button, pattern=r"^rp:"))
    application.add_handler(CallbackQueryHandler(guidance.on_guidance_button, pattern=r"^gd:"))
    application.add_handler(CallbackQueryHandler(contact.on_contact_button, pattern=r"^ct:"))
    application.add_handler(CallbackQueryHandler(menu.on_unknown_button))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, menu.on_text))
    edited = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.TEXT
    application.add_handler(MessageHandler(edited, menu.on_edited_text))
    # Voice notes go to the relay when the person asked to message the family, else where they went before.
    application.add_handler(
        MessageHandler(private & (filters.VOICE | filters.PHOTO | filters.VIDEO_NOTE), contact.on_media)
    )
