"""Prompt expansion outside the model: the OpenAI-compatible chat expander (an implementation of the\nengine's `PromptExpander`, engine/text/prompts.py) and the operator's expansion settings."""
