"""Claims checked against passages: `check_claim(claim, passages) -> ClaimCheck` (see `qa.check.claim`)."""
from qa.check.claim import Checker, CheckQuote, ClaimCheck, Passage, as_passage, check_claim

__all__ = ["CheckQuote", "Checker", "ClaimCheck", "Passage", "as_passage", "check_claim"]
