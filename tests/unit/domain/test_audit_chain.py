"""The audit hash chain: hashing is stable across databases and every kind of tampering is named."""

from __future__ import annotations

import json

import pytest

from kezek.domain import audit_chain as ac
from kezek.domain.audit_chain import GENESIS_HASH, ChainHead, canonical_json, event_hash, verify_chain


def make_chain(n: int) -> list[dict]:
    events, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        event = {
            "seq": seq, "occurred_at": f"2026-01-01T00:00:{seq:02d}.000001+00:00", "actor_id": seq % 3 or None,
            "actor_label": "officer", "action": "test.thing.changed", "object_type": "test.thing",
            "object_id": str(seq), "before": {"n": seq - 1}, "after": {"n": seq, "tags": ["a", "b"]},
            "request_id": "", "prev_hash": prev,
        }
        event["hash"] = event_hash(event)
        prev = event["hash"]
        events.append(event)
    return events


def rehash(event: dict) -> dict:
    event = dict(event)
    event["hash"] = event_hash(event)
    return event


def renumber(events: list[dict], start: int, shift: int) -> list[dict]:
    return [{**e, "seq": e["seq"] + shift} if e["seq"] >= start else e for e in events]


def head_of(events: list[dict]) -> ChainHead:
    return ChainHead(seq=events[-1]["seq"], hash=events[-1]["hash"]) if events else ChainHead(0, GENESIS_HASH)


# --- hashing --------------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_at_every_level_and_is_compact():
    assert canonical_json({"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": "қ"}}) == (
        '{"a":{"c":"қ","d":[1,{"y":1,"z":0}]},"b":1}'
    )


@pytest.mark.parametrize(
    ("written", "read_back"),
    [
        (1.0, 1),  # jsonb may keep 1.0 or the driver may give an int: both hash alike
        (1e20, 100000000000000000000),  # jsonb prints integral numbers without an exponent
        (1.5e300, int("15" + "0" * 299)),
        (-0.0, 0),
    ],
)
def test_integral_numbers_hash_alike_whatever_form_the_database_returns(written, read_back):
    assert canonical_json({"x": written}) == canonical_json({"x": read_back})


def test_fractional_numbers_keep_their_value_through_a_decimal_round_trip():
    value = 1.2345678901234567e-05
    as_decimal_text = json.loads("0.000012345678901234567")  # how jsonb prints it
    assert canonical_json([value]) == canonical_json([as_decimal_text]) == f"[{value!r}]"


def test_key_order_does_not_change_the_hash():
    a, b = make_chain(1)[0], None
    b = {k: a[k] for k in reversed(list(a))}
    b["after"] = {"tags": ["a", "b"], "n": 1}
    assert event_hash(a) == event_hash(b)


def test_every_hashed_field_changes_the_hash():
    event = make_chain(1)[0]
    for name in ac.HASHED_FIELDS:
        assert event_hash({**event, name: "changed"}) != event_hash(event), name


def test_the_stored_hash_itself_is_not_hashed():
    event = make_chain(1)[0]
    assert event_hash({**event, "hash": "x"}) == event["hash"]


# --- verification ---------------------------------------------------------------------------------


def test_empty_chain_is_ok():
    report = verify_chain([])
    assert report.ok and report.events == 0 and report.head_hash == GENESIS_HASH


def test_intact_chain_is_ok_and_reports_its_head():
    events = make_chain(10)
    report = verify_chain(events, head=head_of(events), check_head=True)
    assert report.ok
    assert (report.events, report.head_hash, report.first_break) == (10, events[-1]["hash"], None)


def test_edited_event_is_named():
    events = make_chain(6)
    events[2] = {**events[2], "after": {"n": 999}}
    brk = verify_chain(events).first_break
    assert (brk.seq, brk.problem) == (3, "edited")
    assert not verify_chain(events).ok


def test_edited_event_with_recomputed_hash_is_named_by_its_successor():
    events = make_chain(6)
    events[2] = rehash({**events[2], "after": {"n": 999}})
    brk = verify_chain(events).first_break
    assert (brk.seq, brk.problem) == (3, "edited")


def test_first_event_not_starting_from_genesis_is_edited():
    events = make_chain(3)
    events[0] = rehash({**events[0], "prev_hash": "f" * 64})
    brk = verify_chain(events).first_break
    assert (brk.seq, brk.problem) == (1, "edited")


def test_deleted_event_leaves_a_gap():
    events = make_chain(6)
    del events[3]
    brk = verify_chain(events).first_break
    assert (brk.seq, brk.problem) == (4, "deleted")
    assert "4 to 4" in brk.detail


def test_deleted_first_event_is_named():
    brk = verify_chain(make_chain(4)[1:]).first_break
    assert (brk.seq, brk.problem) == (1, "deleted")


def test_deleted_event_hidden_by_renumbering_is_named():
    events = make_chain(8)
    del events[3:5]  # seq 4 and 5 gone, 6.. renumbered down to 4..
    events = renumber(events, 6, -2)
    brk = verify_chain(events).first_break
    assert (brk.seq, brk.problem) == (4, "deleted")


def test_inserted_event_with_forged_hash_and_renumbering_is_named():
    events = make_chain(6)
    forged = rehash({**events[2], "seq": 3, "object_id": "forged", "prev_hash": events[1]["hash"]})
    events = events[:2] + [forged] + renumber(events[2:], 3, 1)
    brk = verify_chain(events).first_break
    assert (brk.seq, brk.problem) == (3, "inserted")


def test_inserted_garbage_event_with_renumbering_is_named():
    events = make_chain(6)
    garbage = {**events[2], "object_id": "forged", "hash": "e" * 64}
    events = events[:2] + [garbage] + renumber(events[2:], 3, 1)
    brk = verify_chain(events).first_break
    assert (brk.seq, brk.problem) == (3, "inserted")


def test_inserted_garbage_event_whose_successor_links_past_it_is_named():
    events = make_chain(4)
    garbage = {**events[2], "object_id": "forged", "hash": "e" * 64}
    successor = {**events[2], "seq": 4, "hash": "d" * 64}  # links to seq 2, content garbled too
    brk = verify_chain([*events[:2], garbage, successor]).first_break
    assert (brk.seq, brk.problem) == (3, "inserted")


def test_inserted_event_is_found_where_the_chain_links_past_it():
    # A forger who can hash adds a valid seq 4 after seq 3 and re-hashes the old seq 4 as seq 5; the old
    # event still links to seq 3, past the forgery.
    events = make_chain(4)
    forged = rehash({**events[3], "object_id": "forged", "prev_hash": events[2]["hash"]})
    chain = [*events[:3], forged, rehash({**events[3], "seq": 5})]
    brk = verify_chain(chain).first_break
    assert (brk.seq, brk.problem) == (4, "inserted")


def test_repeated_seq_is_an_insertion():
    events = make_chain(3)
    brk = verify_chain([*events, {**events[1]}]).first_break
    assert (brk.seq, brk.problem) == (2, "inserted")


def test_events_beyond_the_head_are_insertions():
    events = make_chain(5)
    report = verify_chain(events, head=head_of(events[:3]))
    assert (report.first_break.seq, report.first_break.problem) == (4, "inserted")


def test_head_ahead_of_the_chain_means_the_last_events_were_deleted():
    events = make_chain(5)
    brk = verify_chain(events[:4], head=head_of(events), check_head=True).first_break
    assert (brk.seq, brk.problem) == (5, "deleted")


def test_every_event_deleted_is_caught_by_the_head():
    events = make_chain(2)
    brk = verify_chain([], head=head_of(events), check_head=True).first_break
    assert (brk.seq, brk.problem) == (1, "deleted")


def test_head_behind_the_chain_means_events_were_appended_outside_the_app():
    events = make_chain(5)
    brk = ac._check_head(_walked(events), head_of(events[:3]))
    assert (brk.seq, brk.problem) == (4, "inserted")


def test_head_hash_differing_from_the_last_event_means_it_was_rewritten():
    events = make_chain(4)
    events[3] = rehash({**events[3], "after": {"n": -1}})
    brk = verify_chain(events, head=ChainHead(4, make_chain(4)[3]["hash"]), check_head=True).first_break
    assert (brk.seq, brk.problem) == (4, "edited")


def test_missing_head_is_reported_only_when_there_are_events():
    assert verify_chain([], head=None, check_head=True).ok
    brk = verify_chain(make_chain(2), head=None, check_head=True).first_break
    assert (brk.seq, brk.problem) == (2, "head_missing")


def test_head_is_ignored_unless_asked():
    events = make_chain(3)
    assert verify_chain(events, head=ChainHead(3, "x" * 64)).ok


def test_recent_hashes_are_bounded(monkeypatch):
    monkeypatch.setattr(ac, "RECENT_HASHES", 2)
    walk = _walked(make_chain(5))
    assert list(walk.recent.values()) == [4, 5]


def test_renumbering_beyond_the_search_window_is_reported_as_an_edit(monkeypatch):
    monkeypatch.setattr(ac, "MAX_SHIFT", 1)
    events = make_chain(6)
    del events[2:4]
    brk = verify_chain(renumber(events, 5, -2)).first_break
    assert (brk.seq, brk.problem) == (3, "edited")


def _walked(events: list[dict]) -> ac._Walk:
    walk = ac._Walk()
    for event in events:
        walk.accept(event)
    return walk


# --- checkpoints ----------------------------------------------------------------------------------


def checkpoint_of(events: list[dict], seq: int) -> ac.Checkpoint:
    return ac.Checkpoint(seq=seq, hash=events[seq - 1]["hash"])


def rehashed_from(events: list[dict], seq: int, **changes) -> list[dict]:
    """Edit event ``seq`` and recompute every hash after it: a rewrite plain verification accepts."""
    out, prev = [], GENESIS_HASH
    for event in events:
        event = {**event, "prev_hash": prev, **(changes if event["seq"] == seq else {})}
        event = rehash(event) if event["seq"] >= seq else event
        prev = event["hash"]
        out.append(event)
    return out


def test_checkpoints_on_an_intact_chain_pass():
    events = make_chain(6)
    result = ac.verify_checkpoints(events, [checkpoint_of(events, 2), checkpoint_of(events, 6)],
                                   head=head_of(events), check_head=True)
    assert result.ok and result.checked == 2 and result.failures == () and result.chain.events == 6


def test_a_repeated_checkpoint_is_checked_once():
    events = make_chain(3)
    assert ac.verify_checkpoints(events, [checkpoint_of(events, 2)] * 3).checked == 1


def test_no_checkpoints_is_plain_verification():
    events = make_chain(3)
    result = ac.verify_checkpoints(events, [])
    assert result.ok and result.checked == 0


def test_rewrite_rehashed_after_the_checkpoint_passes_plain_verification_but_not_the_checkpoint():
    events = make_chain(6)
    kept = checkpoint_of(events, 4)
    forged = rehashed_from(events, 3, after={"n": 999})
    assert verify_chain(forged, head=head_of(forged), check_head=True).ok
    result = ac.verify_checkpoints(forged, [kept], head=head_of(forged), check_head=True)
    assert not result.ok and result.chain.ok
    assert result.failures == (ac.CheckpointFailure(kept, ac.CHECKPOINT_DIFFERS, forged[3]["hash"]),)


def test_edit_before_a_checkpoint_fails_it_even_though_its_own_hash_is_unchanged():
    events = make_chain(6)
    kept = [checkpoint_of(events, 1), checkpoint_of(events, 5)]
    events[2] = {**events[2], "after": {"n": 999}}
    result = ac.verify_checkpoints(events, kept)
    assert result.chain.first_break.seq == 3
    assert result.failures == (ac.CheckpointFailure(kept[1], ac.CHECKPOINT_BROKEN_BEFORE, events[4]["hash"]),)


def test_checkpoints_past_the_first_break_are_still_compared_with_what_is_stored():
    events = make_chain(8)
    kept = [checkpoint_of(events, 6), ac.Checkpoint(7, "e" * 64)]
    events[1] = {**events[1], "action": "forged"}
    result = ac.verify_checkpoints(events, kept)
    assert [(f.checkpoint.seq, f.problem) for f in result.failures] == [(6, ac.CHECKPOINT_BROKEN_BEFORE), (7, ac.CHECKPOINT_DIFFERS)]


def test_checkpoint_beyond_the_end_of_a_truncated_chain_is_missing():
    events = make_chain(5)
    kept = checkpoint_of(events, 5)
    result = ac.verify_checkpoints(events[:3], [kept], head=head_of(events[:3]), check_head=True)
    assert result.chain.ok
    assert result.failures == (ac.CheckpointFailure(kept, ac.CHECKPOINT_MISSING, None),)


def test_events_after_the_last_checkpoint_are_not_read_once_the_walk_has_stopped():
    events = make_chain(6)
    events[0] = {**events[0], "action": "forged"}
    read = []

    def stream():
        for event in events:
            read.append(event["seq"])
            yield event

    ac.verify_checkpoints(stream(), [checkpoint_of(events, 3)])
    assert read == [1, 2, 3]


def test_parse_checkpoints_reads_the_published_json():
    text = json.dumps([{"seq": 3, "hash": "A" * 64, "created_at": "2026-01-01T00:00:00+00:00"}, {"seq": "7", "hash": "b" * 64}])
    assert ac.parse_checkpoints("\ufeff" + text) == [ac.Checkpoint(3, "a" * 64), ac.Checkpoint(7, "b" * 64)]


def test_parse_checkpoints_reads_the_published_csv():
    text = "\ufeffseq,hash,created_at\r\n3," + "a" * 64 + ",2026-01-01T00:00:00+00:00\r\n 9 , " + "c" * 64 + " ,x\r\n"
    assert ac.parse_checkpoints(text) == [ac.Checkpoint(3, "a" * 64), ac.Checkpoint(9, "c" * 64)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the file is empty"),
        ("  \n", "the file is empty"),
        ("[1, 2", "it is not valid JSON"),
        ('{"seq": 1}', "the JSON is not a list of checkpoints"),
        ("[]", "it lists no checkpoints"),
        ("[5]", "item 1 is not an object with seq and hash"),
        ('[{"seq": 0, "hash": "' + "a" * 64 + '"}]', "item 1 has no seq"),
        ('[{"seq": true, "hash": "' + "a" * 64 + '"}]', "item 1 has no seq"),
        ('[{"seq": 1.5, "hash": "' + "a" * 64 + '"}]', "item 1 has no seq"),
        ('[{"seq": "x", "hash": "' + "a" * 64 + '"}]', "item 1 has no seq"),
        ('[{"seq": 1, "hash": "abc"}]', "item 1 has no hash"),
        ('[{"seq": 1, "hash": "' + "g" * 64 + '"}]', "item 1 has no hash"),
        ('[{"seq": 1, "hash": 5}]', "item 1 has no hash"),
        ("seq,hash\n", "it lists no checkpoints"),
        ("number,digest\n1,2\n", "the CSV header must name the columns seq and hash"),
        ("seq,hash\n1,zz\n", "line 2 has no hash"),
        ("seq,hash\n1," + "a" * 64 + ",extra\n-4," + "a" * 64 + "\n", "line 3 has no seq"),
    ],
)
def test_parse_checkpoints_refuses_a_bad_file_with_a_clear_reason(text, reason):
    with pytest.raises(ac.InvalidCheckpointFile) as caught:
        ac.parse_checkpoints(text)
    assert caught.value.code == "invalid_checkpoint_file" and reason in str(caught.value)
