"""Telegram Bot API: `Update` objects, from a webhook or from `getUpdates` (`{"ok": true,
"result": [Update, ...]}`). Messages, channel posts and their edits with text or a caption are
mentions; a message id is unique within its chat, so `chat id:message id` is the source id.
The update id is the cursor: `getUpdates?offset=<last update_id + 1>` resumes after it. A
forwarded message is a repost of the original when Telegram names it.
"""

from __future__ import annotations

from typing import Any

from services.ingest.connectors.base import (
    Mention,
    author,
    from_unix,
    id_or_none,
    items,
    mention,
    obj,
    text_or_none,
)

SOURCE = "telegram"
_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


def _message_id(chat: Any, message_id: Any) -> str | None:
    chat_id = id_or_none(chat.get("id")) if isinstance(chat, dict) else None
    number = id_or_none(message_id)
    return f"{chat_id}:{number}" if chat_id and number else None


def _sender(message: dict[str, Any]) -> dict[str, Any]:
    sender = message.get("from") if isinstance(message.get("from"), dict) else None
    chat = message.get("sender_chat") or message.get("chat")
    chat = chat if isinstance(chat, dict) else {}
    if sender is not None:
        handle = f"@{sender['username']}" if isinstance(sender.get("username"), str) else None
        name = " ".join(
            p for p in (sender.get("first_name"), sender.get("last_name")) if isinstance(p, str)
        )
        return author(handle or id_or_none(sender.get("id")), display_name=name or None)
    handle = f"@{chat['username']}" if isinstance(chat.get("username"), str) else None
    return author(handle or id_or_none(chat.get("id")), display_name=chat.get("title"))


def _language(message: dict[str, Any]) -> str | None:
    """The sender's app language: a hint only (people write in more than one language)."""
    sender = message.get("from")
    return text_or_none(sender.get("language_code")) if isinstance(sender, dict) else None


def _forwarded(message: dict[str, Any]) -> str | None:
    origin = message.get("forward_origin")
    if isinstance(origin, dict) and origin.get("type") == "channel":
        return _message_id(origin.get("chat") or {}, origin.get("message_id"))
    return None


def from_update(update: Any) -> list[Mention]:
    update = obj(update, "Update")
    kind = next((k for k in _MESSAGE_KINDS if isinstance(update.get(k), dict)), None)
    if kind is None:
        return []  # callback queries, polls, member changes: not mentions
    message = update[kind]
    text = message.get("text") if isinstance(message.get("text"), str) else message.get("caption")
    if not isinstance(text, str):
        return []  # stickers, photos without a caption
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    reply = message.get("reply_to_message")
    parent = _message_id(chat, reply.get("message_id")) if isinstance(reply, dict) else None
    thread = message.get("message_thread_id")
    public = isinstance(chat.get("username"), str)
    return [
        mention(
            source=SOURCE,
            source_id=_message_id(chat, message.get("message_id")),
            text=text,
            author=_sender(message),
            url=f"https://t.me/{chat['username']}/{message.get('message_id')}" if public else None,
            lang=_language(message),
            created_at=from_unix(message.get("date")),
            thread_id=_message_id(chat, thread) if thread is not None else parent,
            parent_id=parent,
            repost_of=_forwarded(message),
        )
    ]


def convert(payload: Any) -> list[Mention]:
    """One Update (webhook) or a `getUpdates` response."""
    if isinstance(payload, dict) and "result" in payload:
        return [m for u in items(payload["result"], "result") for m in from_update(u)]
    return from_update(payload)


def cursor_of(update: Any) -> int | None:
    value = update.get("update_id") if isinstance(update, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
