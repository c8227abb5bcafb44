"""Webhook subscriptions to the change feed (``subscriptions``) and their delivery
(``delivery``, the ``kho webhooks deliver`` process)."""
