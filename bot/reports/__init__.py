"""Reports for administrators and supervisors: case exports, the regional digest, its weekly delivery, and charts.

Plain Python with no Telegram imports; the Telegram side renders the digest (bot/telegram/render_reports.py).
"""
