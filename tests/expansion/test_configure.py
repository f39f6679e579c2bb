from ltxserve.expansion.configure import chat_expander, expansion_options
from ltxserve.settings import Settings


def test_the_chat_expander_is_used_only_when_configured():
    assert chat_expander(Settings()) is None
    settings = Settings(
        expansion_chat_url="http://127.0.0.1:9/v1/chat/completions",
        expansion_chat_model="m",
        expansion_timeout_s=3,
        expansion_max_new_tokens=100,
    )
    expander = chat_expander(settings)
    assert expander is not None
    assert expander.endpoint.timeout_s == 3
    assert expander.options.max_new_tokens == 100
    assert expansion_options(settings).temperature == 0.7
