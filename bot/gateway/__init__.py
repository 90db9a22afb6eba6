"""How Slack's requests reach Uptake: the WSGI app (`wsgi`), the checks a request passes before
Bolt sees it (`gate`, `replay`), the pool its work runs on after the ack (`work_pool`), and
the Socket Mode client (`socket_mode`)."""
