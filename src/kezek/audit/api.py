"""Public audit API: the published checkpoints, in the same format as the checkpoints.json download."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema

from kezek.audit.views import checkpoints_json_response

router = Router()
MAX_SEQ = 2**63 - 1  # a bigint on both databases


class CheckpointOut(Schema):
    seq: int
    hash: str
    created_at: datetime


@router.get("/checkpoints", response=list[CheckpointOut], auth=None, summary="Published audit checkpoints")
def checkpoints(request: HttpRequest, after_seq: int = Query(0, ge=0, le=MAX_SEQ)) -> StreamingHttpResponse:
    """Every published checkpoint, oldest first; ``after_seq`` returns only the newer ones.

    Keep a copy: ``kezek audit verify --checkpoints FILE`` proves the chain still extends each of them.
    """
    return checkpoints_json_response(after_seq=after_seq)
