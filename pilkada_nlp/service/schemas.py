"""The JSON bodies of the service's API: what requests may hold (checked by pydantic, extra fields refused) and
what answers hold (also the OpenAPI schema at ``/docs``).

Per-post results are objects with the fields of :class:`pilkada_nlp.Prediction`, so fields can be added (the
fact-check ``matches`` planned for ``/v1/factcheck/match``) without breaking clients.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from pilkada_nlp.review import DEFAULT_SOURCE
from pilkada_nlp.service.store import DECISIONS


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: StrictStr | list[StrictStr] = Field(description="one post, or a list of posts")
    explain: StrictBool = Field(False, description="add the n-grams that pushed hardest towards each label")


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: StrictStr | list[StrictStr] = Field(description="one post, or a list of posts")
    k: int = Field(5, ge=1, le=20, description="fact-checks per post, best first")


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[StrictStr] = Field(description="the posts to score; results stream back as JSON lines, in order")


class Result(BaseModel):
    """One post's prediction: the fields of :class:`pilkada_nlp.Prediction`."""

    label: str
    score: float
    scores: dict[str, float]
    flags: list[str]
    explanation: list[tuple[str, float]] | None = None
    warning: str | None = None


class ClassifyResponse(BaseModel):
    model: str = Field(description="version of the model that answered (see /v1/model)")
    results: list[Result] = Field(description="one result per text, in order (a list of one for one text)")


class ScoreLine(Result):
    index: int = Field(description="position of the text in the request")


class QueueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[StrictStr]
    source: StrictStr = Field(DEFAULT_SOURCE, description="where the posts come from (review-import uses it)")


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    review_id: StrictStr
    label: StrictStr = Field(description=f"one of {', '.join(DECISIONS)}")
