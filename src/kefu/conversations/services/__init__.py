"""Every state change of conversations: starting one, messages both ways, assignment, status.

Views, API endpoints and websocket consumers call these functions and nothing else writes the
rows. Each function owns its transaction, its timeline and audit rows and its live updates.
"""

from kefu.conversations.services.canned import (
    canned_responses_for,
    delete_canned_response,
    save_canned_response,
)
from kefu.conversations.services.conversations import (
    UNCHANGED,
    add_tag,
    apply_status,
    assign_conversation,
    change_priority,
    change_status,
    clean_tag,
    current_widget_conversation,
    customer_messages,
    customer_visible_messages,
    lock_conversation,
    new_tracking_token,
    remove_tag,
)
from kefu.conversations.services.customers import (
    identify_customer,
    set_customer_contact,
    update_customer_profile,
)
from kefu.conversations.services.merging import merge_conversations
from kefu.conversations.services.messages import (
    MAX_MESSAGE_CHARS,
    NewMessage,
    PostedMessage,
    clean_body,
    post_agent_message,
    post_customer_message,
    post_messages,
    start_conversation,
)

__all__ = [
    "MAX_MESSAGE_CHARS",
    "UNCHANGED",
    "NewMessage",
    "PostedMessage",
    "add_tag",
    "apply_status",
    "assign_conversation",
    "canned_responses_for",
    "change_priority",
    "change_status",
    "clean_body",
    "clean_tag",
    "current_widget_conversation",
    "customer_messages",
    "customer_visible_messages",
    "delete_canned_response",
    "identify_customer",
    "lock_conversation",
    "merge_conversations",
    "new_tracking_token",
    "post_agent_message",
    "post_customer_message",
    "post_messages",
    "remove_tag",
    "save_canned_response",
    "set_customer_contact",
    "start_conversation",
    "update_customer_profile",
]
