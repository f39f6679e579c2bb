"""Text: encoding a prompt with Gemma into the connectors' context, and prompt expansion on the same Gemma."""
