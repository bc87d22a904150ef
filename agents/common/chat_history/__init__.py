"""Chat history analysis shared by the Slack and Discord scanners (not an agent itself).

`reader` pages through a `ChatPlatform`, `extract` says what a message announces or reports,
`analyze` turns that into findings, `scanner.ChatScanner` is the scanner both agents subclass.
The same history source serves both platforms; only the transport differs.
"""
