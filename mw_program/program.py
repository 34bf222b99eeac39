"""The Pulumi program: stack config -> service role, PassRole policy, windows -> stack outputs.

``__main__.py`` calls :func:`main`; tests and ``mw plan`` run that same file under the engine
stand-in, so there is one program.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
from mw_components.account_provider import account_provider, provider_options
from mw_components.log_group import OutputLogGroup
from mw_components.notification_topic import NotificationTopic
from mw_components.output_bucket import OutputBucket
from mw_components.pass_role import PassRolePolicy
from mw_components.patch_baseline import PatchBaseline
from mw_components.service_role import ServiceRole, ServiceRoleArgs
from mw_components.task import LAMBDA, STEP_FUNCTIONS
from mw_components.window import MaintenanceWindow, MaintenanceWindowArgs
from pulumi.runtime import config as runtime_config

import mw_config as stack_config
from mw_config import NAMESPACE, Account, StackConfig
from mw_config.stackfile import namespace_problems
from mw_core import arns
from mw_core.errors import ConfigError

SERVICE_ROLE_NAME = "service-role"
PASS_ROLE_NAME = "pass-role"
OUTPUT_BUCKET_NAME = "output-bucket"
NOTIFICATIONS_NAME = "notifications"
LOG_GROUP_NAME = "output-logs"


def main() -> None:
    """Read and validate the whole stack config, then register every resource."""
    stack = pulumi.get_stack()
    deploy(stack_config.parse_stack(read_config(), source=f"config of stack {stack!r}", stack=stack))


def read_config() -> dict[str, Any]:
    """The config the program reads, by full key: the ``maintenance-windows:*`` values and
    ``aws:allowedAccountIds`` (which ``accounts`` needs), however they were set (CLI, env, ``set_all_config``).

    The CLI passes structured values as JSON text, which :func:`mw_config.parse_stack` decodes; tests may set
    Python values directly. A key whose namespace looks like a misspelling of this project's
    (``maintenance-window:windows``) is a ConfigError, as when ``mw`` reads the stack file: the program would
    otherwise ignore it.
    """
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    ConfigError.check(namespace_problems(keys, NAMESPACE), f"config of stack {pulumi.get_stack()!r}")
    keys = {key for key in keys if key.startswith(f"{NAMESPACE}:")}
    keys |= {f"{NAMESPACE}:{key}" for key in stack_config.TOP_KEYS} | {"aws:allowedAccountIds"}
    return {key: value for key in sorted(keys) if (value := runtime_config.get_config(key)) is not None}


@dataclass
class _Place:
    """Where one account's resources go: its name prefix, provider, regions, windows and what it holds."""

    prefix: str  # "" for the deploying account (today's names), "<account name>-" for the others
    account: Account | None  # None: the deploying account without `accounts`
    opts: pulumi.ResourceOptions | None
    regions: tuple[str | None, ...]
    windows: tuple[MaintenanceWindowArgs, ...]
    pass_role: bool


def deploy(config: StackConfig) -> dict[str, Any]:
    """Register the components for a validated config; returns what it exports.

    The deploying account uses the default provider and today's names, so adding ``accounts`` replaces nothing
    there; every other account of ``accounts`` gets one explicit provider assuming its ``roleArn`` and its own
    service role, PassRole policy, windows, log groups and baselines, named ``<account name>-<name>``. The output
    bucket and the topic stay in the deploying account.
    """
    outputs: dict[str, Any] = {}
    shared = _Shared()
    home_region = pulumi.Config("aws").get("region")
    places = _places(config, home_region)
    members = [place for place in places if place.prefix]
    bucket = topic = None
    if config.output_bucket is not None:
        writers = tuple((place.account.id, place.account.name) for place in members if place.account is not None)
        bucket = OutputBucket(OUTPUT_BUCKET_NAME, replace(config.output_bucket, writer_accounts=writers))
        shared.bucket = outputs["outputBucket"] = bucket.bucket
    if config.notifications is not None:
        topic = NotificationTopic(NOTIFICATIONS_NAME, config.notifications)
        shared.topic_arn = outputs["notificationTopicArn"] = topic.arn
    if config.cloudwatch is not None:
        outputs["outputLogGroup"] = config.cloudwatch.log_group_name
    accounts: dict[str, Any] = {}
    publishers: list[pulumi.Input[str]] = []
    for place in places:
        built = _deploy_place(config, place, shared, home_region)
        if not place.prefix:
            outputs = {**built["home"], **outputs}
        else:
            publishers.append(built["account"]["serviceRoleArn"])
        if place.account is not None:
            accounts[place.account.name] = built["account"]
    if topic is not None:
        topic.allow_publishers(publishers)
    if accounts:
        outputs["accounts"] = accounts
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs


def _places(config: StackConfig, home_region: str | None) -> list[_Place]:
    """The deploying account (when it has windows or `accounts` lists it), then each other account."""
    windows = {args.name: args for args in config.windows}
    if not config.accounts:
        return [_Place("", None, None, config.regions or (None,), config.windows, True)]
    places = []
    for account in config.accounts:
        chosen = tuple(windows[name] for name in account.windows)
        pass_role = account.id in config.pass_role_accounts
        if account.id == config.home_account:
            places.append(_Place("", account, None, account.regions, chosen, pass_role))
            continue
        region = next((r for r in account.regions if r), None) or home_region
        provider = account_provider(f"account-{account.name}", account_id=account.id, role_arn=account.role_arn or "",
                                    region=region)
        places.append(_Place(f"{account.name}-", account, provider_options(provider), account.regions, chosen,
                             pass_role))
    return places


def _deploy_place(config: StackConfig, place: _Place, shared: _Shared, home_region: str | None) -> dict[str, Any]:
    """One account's service role, PassRole policy, and per region its log group, baselines and windows."""
    home = not place.prefix
    member = place.account if not home else None
    log_groups: dict[str | None, pulumi.Output[str]] = {}
    if config.cloudwatch is not None:
        for region in place.regions:
            name, aliases = _regional(LOG_GROUP_NAME, region, home_region, home)
            group = OutputLogGroup(place.prefix + name, replace(config.cloudwatch, region=region),
                                   _opts(place.opts, aliases))
            log_groups[region] = group.name
    baselines = {}
    for args in config.patch_baselines:
        for region in place.regions:
            name, aliases = _regional(args.name or "", region, home_region, home)
            baseline = PatchBaseline(place.prefix + name, replace(args, region=region), _opts(place.opts, aliases))
            baselines[_old_regional(args.name or "", region)] = baseline.baseline_id
    windows = [(args, region, _with_stack_resources(args, region, shared, log_groups, member))
               for args in place.windows for region in place.regions]
    role_arn: pulumi.Input[str]
    if config.service_role is not None:
        role_args = _with_task_grants(config.service_role, [w for _, _, w in windows], _topic_key(config))
        if member is not None:
            role_args = replace(role_args, source_account=member.id)
        role = ServiceRole(place.prefix + SERVICE_ROLE_NAME, role_args, place.opts)
        role_arn = role.arn
    else:
        role_arn = config.service_role_arn or ""
    pass_role = None
    if place.pass_role:
        pass_role = PassRolePolicy(place.prefix + PASS_ROLE_NAME, replace(config.pass_role, role_arn=role_arn),
                                   place.opts)
    created = {}
    for args, region, resolved in windows:
        name, aliases = _regional(args.name or "", region, home_region, home)
        window = MaintenanceWindow(place.prefix + name, replace(resolved, service_role_arn=role_arn, region=region),
                                   _opts(place.opts, aliases))
        created[_old_regional(args.name or "", region)] = window
    listed = {name: {"id": window.window_id, "targetIds": window.target_ids, "taskIds": window.task_ids}
              for name, window in created.items()}
    built: dict[str, Any] = {}
    if home:
        built["home"] = {"serviceRoleArn": role_arn, "windows": listed}
        if pass_role is not None:
            built["home"]["passRolePolicyArn"] = pass_role.arn
        if baselines:
            built["home"]["patchBaselineIds"] = baselines
    if place.account is not None:
        built["account"] = {"id": place.account.id, "serviceRoleArn": role_arn, "windows": listed}
    return built


@dataclass
class _Shared:
    """The stack's own bucket and topic (central, in the deploying account), once created."""

    bucket: pulumi.Output[str] | None = None
    topic_arn: pulumi.Output[str] | None = None
    log_groups: dict[str | None, pulumi.Output[str]] = field(default_factory=dict)


def _regional(name: str, region: str | None, home_region: str | None, home: bool) -> tuple[str, list[pulumi.Alias]]:
    """A regional component's name and aliases.

    In the provider's own region (``aws:region``) a component keeps its plain name, so adding ``regions`` to a
    deployed stack renames (and so replaces) nothing; in the deploying account it is also aliased to the
    ``<name>-<region>`` it had before this rule, for stacks deployed with ``regions`` already. Children named
    ``<name>-<child>`` inherit the alias (the engine's ``inheritedChildAlias``). Elsewhere: ``<name>-<region>``.
    """
    if region is None:
        return name, []
    if region == home_region:
        return name, [pulumi.Alias(name=f"{name}-{region}")] if home else []
    return f"{name}-{region}", []


def _old_regional(name: str, region: str | None) -> str:
    """The key of a window or baseline in the stack outputs: ``<name>-<region>`` with ``regions``, as before."""
    return f"{name}-{region}" if region else name


def _opts(opts: pulumi.ResourceOptions | None, aliases: list[pulumi.Alias]) -> pulumi.ResourceOptions | None:
    if not aliases:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases))


def _with_stack_resources(window: MaintenanceWindowArgs, region: str | None, shared: _Shared,
                          log_groups: dict[str | None, pulumi.Output[str]],
                          member: Account | None = None) -> MaintenanceWindowArgs:
    """Point tasks that reference the stack's bucket, topic or log group at the created resources; in another
    account, output goes to the central bucket under ``<account name>/``, the only prefix it may write to."""
    tasks = []
    for task in window.tasks:
        changes: dict[str, Any] = {}
        if task.output_s3 is not None and task.output_s3.bucket is None and shared.bucket is not None:
            prefix = task.output_s3.key_prefix
            if member is not None:
                prefix = f"{member.name}/{prefix if prefix is not None else f'{window.name}/{task.name}/'}"
            changes["output_s3"] = replace(task.output_s3, bucket=shared.bucket, key_prefix=prefix)
        if task.notifications is not None and task.notifications.topic_arn is None and shared.topic_arn is not None:
            changes["notifications"] = replace(task.notifications, topic_arn=shared.topic_arn)
        if task.cloudwatch is not None and task.cloudwatch.log_group is None and region in log_groups:
            changes["cloudwatch"] = replace(task.cloudwatch, log_group=log_groups[region])
        tasks.append(replace(task, **changes) if changes else task)
    return replace(window, tasks=tuple(tasks))


def _topic_key(config: StackConfig) -> str | None:
    """The stack topic's KMS key when it is a customer managed key given by ARN (roles need a grant on it)."""
    key = config.notifications.kms_master_key_id if config.notifications is not None else None
    return key if isinstance(key, str) and arns.KMS_KEY_ARN.fullmatch(key) else None


def _with_task_grants(role: ServiceRoleArgs, windows: list[MaintenanceWindowArgs],
                      topic_key: str | None = None) -> ServiceRoleArgs:
    """The service role's args plus the exact topics, functions and state machines its tasks use, and the stack
    topic's customer managed KMS key (``topic_key``, a key ARN) when its tasks publish there."""
    topics: list[pulumi.Input[str]] = []
    functions: list[pulumi.Input[str]] = []
    machines: list[pulumi.Input[str]] = []
    for window in windows:
        for task in window.tasks:
            if task.notifications is not None and task.notifications.role_arn is None:
                topics.append(task.notifications.topic_arn)
            if task.service_role_arn is not None:
                continue  # the task runs with its own role; ours needs nothing for it
            if task.type == LAMBDA and task.function_arn is not None:
                functions.append(task.function_arn)
            if task.type == STEP_FUNCTIONS and task.state_machine_arn is not None:
                machines.append(task.state_machine_arn)
    keys = (topic_key,) if topic_key and topics else ()
    return replace(role, notification_topic_arns=_distinct(topics), lambda_function_arns=_distinct(functions),
                   state_machine_arns=_distinct(machines), notification_kms_key_arns=keys)


def _distinct(values: list[pulumi.Input[str]]) -> tuple[pulumi.Input[str], ...]:
    """Each value once, in first-seen order; an Output is kept by identity."""
    seen: dict[Any, pulumi.Input[str]] = {}
    for value in values:
        seen.setdefault(value if isinstance(value, str) else id(value), value)
    return tuple(seen.values())

