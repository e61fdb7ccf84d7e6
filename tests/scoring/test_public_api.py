"""The public surface of ``scoring`` is what ``__all__`` says, and it all imports."""

import scoring


def test_all_names_exist() -> None:
    assert sorted(scoring.__all__) == sorted(set(scoring.__all__))
    for name in scoring.__all__:
        assert hasattr(scoring, name), name


def test_public_surface_is_stable() -> None:
    assert set(scoring.__all__) == {
        "RULES", "Case", "CaseFileError", "Check", "Finding", "FundMetric", "Funds", "Indicator", "NodeResult",
        "Problem", "Project", "ScoreResult", "Stated", "case_from_data", "dump_case", "even_split", "grade_for", "load_case",
        "parse_case", "score_case",
    }


def test_workspace_surface_is_stable() -> None:
    """The façade the CLI and the API use: its names are pinned like scoring's."""
    import workspace

    assert sorted(workspace.__all__) == sorted(set(workspace.__all__))
    assert all(hasattr(workspace, name) for name in workspace.__all__)
    assert set(workspace.__all__) == {
        "DOC_ID", "SEARCH_MODES", "CaseImportError", "Conflict", "IndexUnavailable", "InvalidCase", "InvalidInput", "NotFound",
        "StorageFull", "TooLarge", "UnreadableDocument", "UnsupportedType", "Workspace", "WorkspaceError",
    }


def test_every_rule_family_is_registered() -> None:
    assert set(scoring.RULES) == {
        "ratio", "per_finding", "judgment", "levels", "output_band", "result_target", "missing",
        "tiered", "composite", "lateness", "upper_bound",
    }
