"""Component paths and names (Python) to the stack config's key paths and keys (camelCase), by the models' aliases."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from mw_config import models
from mw_config.keypaths import _Walk, _walk, key_path, translate

W = ("windows", 0)
T = (*W, "tasks", 1, "RUN_COMMAND")


@pytest.mark.parametrize(("loc", "path", "expected"), [
    ((), "windows[0].tasks[1].max_concurrency", "windows[0].tasks[1].maxConcurrency"),
    (W, "tasks[0].targets[0]", "windows[0].tasks[0].targets[0]"),
    (W, "allow_unregistered_targets", "windows[0].allowUnregisteredTargets"),
    (T, "output_s3.key_prefix", "windows[0].tasks[1].outputS3.keyPrefix"),
    (T, "cloudwatch.log_group", "windows[0].tasks[1].cloudWatch.logGroup"),
    (T, "notifications.topic_arn", "windows[0].tasks[1].notifications.topicArn"),
    ((*W, "tasks", 0, "LAMBDA"), "client_context", "windows[0].tasks[0].clientContext"),
    ((), "cloudwatch_output.retention_in_days", "cloudWatchOutput.retentionInDays"),
    ((), "patch_baselines[0].approval_rules[1].approve_after_days", "patchBaselines[0].approvalRules[1].approveAfterDays"),
    # Below a mapping, keys are data: as written, dots and all, then the indexes of their values.
    (W, "tags.Cost.Center", "windows[0].tags.Cost.Center"),
    ((*W, "targets", 0), "tags.max_concurrency[1]", "windows[0].targets[0].tags.max_concurrency[1]"),
    (T, "parameters.AutomationAssumeRole[0]", "windows[0].tasks[1].parameters.AutomationAssumeRole[0]"),
    ((*W, "tags"), "Env", "windows[0].tags.Env"),
    # pydantic's own locations are aliases already; a task's type tag is dropped.
    ((*T, "maxConcurrency"), "", "windows[0].tasks[1].maxConcurrency"),
    (("serviceRole", "trustedServices", 2), "", "serviceRole.trustedServices[2]"),
    # A key no model has (an unknown key) is shown as written.
    ((*W, "schedul"), "", "windows[0].schedul"),
    ((".",), "", "."),
])
def test_key_paths(loc, path, expected):
    assert key_path(loc, path) == expected


def test_a_location_is_in_aliases_and_a_path_in_names():
    # `cloudwatch` is the field's Python name; in the stack file it is an unknown key, shown as written.
    assert key_path((*T, "cloudwatch")) == "windows[0].tasks[1].cloudwatch"
    assert key_path(T, "cloudwatch") == "windows[0].tasks[1].cloudWatch"


@pytest.mark.parametrize(("loc", "message", "expected"), [
    ((*W, "targets", 0), "give exactly one of `tags` (or `tag_keys`), `instance_ids`, `resource_group`",
     "give exactly one of tags (or tagKeys), instanceIds, resourceGroup"),
    (T, "a task can name unregistered instances only with `allow_unregistered_targets`: true",
     "a task can name unregistered instances only with allowUnregisteredTargets: true"),
    (T, "or set `allow_wildcards`: true", "or set maintenance-windows:allowWildcards: true"),
    (T, "needs the stack's own `output_bucket`", "needs the stack's own maintenance-windows:outputBucket"),
    ((), "as `windows[0].tasks[1].name` already is", "as windows[0].tasks[1].name already is"),
    ((), "as `patch_baselines[0].patch_groups[1]` already is", "as patchBaselines[0].patchGroups[1] already is"),
    # The innermost model's field first: a task's `notifications`, not the stack's.
    (T, "see `notifications`", "see notifications"),
    # What no model has stays, without its backticks; a value shown with repr is left alone.
    (T, "`colour` and 'max_concurrency'", "colour and 'max_concurrency'"),
    (T, "'`instance_ids`' is not \"it's `type`\" and the window's `instance_ids`",
     "'`instance_ids`' is not \"it's `type`\" and the window's instanceIds"),
])
def test_names_in_messages(loc, message, expected):
    assert translate(message, _walk(loc, models.StackModel)) == expected


def every_field() -> list[tuple[type[BaseModel], str, str]]:
    from test_readme import config_models  # the config's models, from the top down

    return [(model, name, info.alias or name) for model in config_models() for name, info in
            model.model_fields.items()]


@pytest.mark.parametrize(("model", "name", "alias"), every_field(),
                         ids=[f"{m.__name__}.{n}" for m, n, _ in every_field()])
def test_every_field_is_named_by_its_alias(model, name, alias):
    # One mapping, from the models: a Python name in a message becomes the key of the stack file.
    walk = _Walk([model], None, [models.StackModel, model] if model is not models.StackModel else [model])
    shown = f"maintenance-windows:{alias}" if model is models.StackModel else alias
    assert translate(f"`{name}`", walk) == shown
