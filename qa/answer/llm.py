"""The one file that imports the `openai` client: chat completions from any OpenAI-compatible server.

`ChatClient.stream(messages)` yields the model's text as the server streams it
(the client parses the server-sent events). Every way the call can fail (no
server, a timeout, a refused key, a rate limit, a stream cut short, nothing
written) becomes one `ModelUnavailable` whose message says what happened and
what to do, in words built here: a server's error body is never repeated, so an
api key it might echo is never shown. The key is read from the environment
variable the settings name, at call time, and is never logged. This module must
not build prompts or know about passages.
"""
from __future__ import annotations

import os
from typing import Iterator, Mapping, Sequence

from index.errors import NewsdeskError
from qa.config import LLMSettings

NO_KEY = "no-key"  # local servers ignore the key, but the client insists on one


class ModelUnavailable(NewsdeskError):
    """The model server could not produce an answer; the message is fit to show a user."""


class ChatClient:
    """Streams chat completions from `settings.base_url`. No retries: a user waiting in the chat is
    better served by the built-in answer at once than by a second wait for an overloaded server."""

    def __init__(self, settings: LLMSettings) -> None:
        if not settings.model:
            raise ModelUnavailable("the generative answerer has no model name",
                                   "set llm: {model: ...} in newsdesk.yaml (for Ollama, a name from `ollama list`)")
        self.settings = settings
        self._client = None

    def stream(self, messages: Sequence[Mapping[str, str]]) -> Iterator[str]:
        """The answer's text pieces as they arrive; `ModelUnavailable` when the call fails or ends unfinished."""
        import openai

        s = self.settings
        try:
            response = self._connect().chat.completions.create(
                model=s.model, messages=list(messages), stream=True, max_tokens=s.max_tokens,
                temperature=s.temperature)
            finished = False
            for chunk in response:
                for choice in chunk.choices or ():
                    text = getattr(choice.delta, "content", None) if choice.delta is not None else None
                    if text:
                        yield text
                    finished = finished or choice.finish_reason is not None
        except openai.APITimeoutError:
            raise ModelUnavailable(f"the model server at {s.base_url} did not answer within {s.timeout:g} s",
                                   "raise llm.timeout, or use a smaller model") from None
        except openai.APIConnectionError:
            raise ModelUnavailable(f"the model server at {s.base_url} cannot be reached, or it broke off the answer",
                                   "start it (e.g. `ollama serve`) or fix llm.base_url") from None
        except openai.AuthenticationError:
            raise ModelUnavailable(f"the model server at {s.base_url} refused the api key (401)",
                                   f"check the key in ${s.api_key_env}" if s.api_key_env else
                                   "set llm.api_key_env to the variable that holds the key") from None
        except openai.PermissionDeniedError:
            raise ModelUnavailable(f"the model server at {s.base_url} does not allow this key to use {s.model} (403)",
                                   "check the key's permissions") from None
        except openai.RateLimitError:
            raise ModelUnavailable(f"the model server at {s.base_url} is rate limiting requests (429)",
                                   "wait a little, or raise the account's limits") from None
        except openai.NotFoundError:
            raise ModelUnavailable(f"the model server at {s.base_url} has no model {s.model!r} (404)",
                                   "check llm.model (Ollama: `ollama pull NAME`) and that base_url ends in /v1") from None
        except openai.APIStatusError as exc:
            raise ModelUnavailable(f"the model server at {s.base_url} answered with an error ({exc.status_code})",
                                   "see the server's own log") from None
        except ModelUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001  a reply the client cannot read: bad JSON, a broken connection, ...
            # The client raises whatever its parser or transport raised (JSONDecodeError, the HTTP library's
            # protocol errors); none of it is the user's to debug, and a traceback in the chat helps nobody.
            raise ModelUnavailable(f"the model server at {s.base_url} sent a reply that is not a chat completion "
                                   f"({type(exc).__name__})", "check that base_url points at an OpenAI-compatible /v1") from None
        if not finished:
            raise ModelUnavailable(f"the model server at {s.base_url} broke off the answer before it was finished",
                                   "see the server's own log")

    def _connect(self):
        if self._client is None:
            import openai

            s = self.settings
            key = os.environ.get(s.api_key_env, "") if s.api_key_env else NO_KEY
            if not key:
                raise ModelUnavailable(f"the environment variable {s.api_key_env} that should hold the api key is empty",
                                       f"export {s.api_key_env}=... before starting newsdesk")
            self._client = openai.OpenAI(base_url=s.base_url, api_key=key, timeout=s.timeout, max_retries=0)
        return self._client
