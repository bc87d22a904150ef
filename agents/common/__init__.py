"""What scanner kinds share: the Scanner shape and its Budget, the alert scope, log signatures and
templates, and the chat-history reading both chat scanners use. Imports only the core and the alert layer."""
