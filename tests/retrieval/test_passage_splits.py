"""The benchmark's passage splits: each file's questions keep the split it fixes, every split is reported, only tune misses are shown."""

from __future__ import annotations

import pytest

from benchmarks.passage_splits import combined, load, may_list_misses, reported, split_of


def question(query: str, split: str) -> dict[str, str]:
    return {"query": query, "doc_id": "001_1250b0a9ed2f5493", "phrase": "委托单位：朔州市财政局", "split": split}


def test_the_fresh_questions_follow_the_hashed_ones_and_keep_their_split() -> None:
    hashed = [question(query, split_of(query)) for query in ("朔州项目得了多少分", "朔州项目主评人是谁", "朔州项目结余多少")]
    fresh = [question("朔州这次评价是谁委托的", "fresh")]
    passages = combined(hashed, fresh)
    assert [item["query"] for item in passages] == [item["query"] for item in hashed + fresh]
    assert passages[-1]["split"] == "fresh"


@pytest.mark.parametrize(
    ("hashed", "fresh"),
    [
        ([question("朔州项目得了多少分", "holdout" if split_of("朔州项目得了多少分") == "tune" else "tune")], []),  # not its hash split
        ([], [question("朔州这次评价是谁委托的", "tune")]),  # a fresh question marked tune
        ([question("朔州项目得了多少分", split_of("朔州项目得了多少分"))], [question("朔州项目得了多少分", "fresh")]),  # asked twice
    ],
)
def test_a_question_in_the_wrong_split_is_refused(hashed: list[dict[str, str]], fresh: list[dict[str, str]]) -> None:
    with pytest.raises(ValueError):
        combined(hashed, fresh)


def test_both_and_all_report_the_three_splits_and_only_tune_misses_are_listed() -> None:
    assert reported("both") == reported("all") == ["tune", "holdout", "fresh"]
    assert reported("fresh") == ["fresh"]
    with pytest.raises(ValueError):
        reported("everything")
    assert [may_list_misses(question("问", split)) for split in ("tune", "holdout", "fresh")] == [True, False, False]


def test_the_fixture_files_load_with_all_three_splits() -> None:
    passages = load()
    counts = {split: sum(item["split"] == split for item in passages) for split in reported("all")}
    assert counts["fresh"] >= 48 and counts["tune"] > counts["holdout"] > 0
    assert len(passages) == sum(counts.values())
