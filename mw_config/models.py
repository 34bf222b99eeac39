"""The stack config as pydantic models: every ``maintenance-windows:*`` key, its type, default and limits, once.

Field names are the components' own (``max_concurrency``); the YAML's keys are their camelCase aliases
(``maxConcurrency``), and only the aliases are accepted. Each model names the component args it becomes
(``component``), and the two meet by field name:

* a value is checked as it is validated, by the checks its component declares on the field of the same name
  (:mod:`mw_components.checks`: AWS's limits, ARNs, schedules), so every value's problem is found at once;
* once a part's values are valid, its component's ``problems()`` adds the rules across its fields (a target has
  exactly one mode, a window's tasks name its targets) and :meth:`ConfigModel.to_args` builds the args;
* rules across list items that must hold whatever else is wrong (names unique in a window and in the stack, a
  task naming its window's targets, child names that would collide) read the items' names from the input.

Defaults are the components' where they have one; the attribute docstrings are the JSON Schema's descriptions and
say what each default does. Validation needs a :class:`Stack` as context (:func:`validate`): what the stack
provides to its tasks and whether ARNs may hold wildcards.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from mw_components.checks import Check, Context, checks_of, run_checks
from mw_components.iam_policy import IAM_ROLE, arn_of
from mw_components.log_group import OutputLogGroupArgs
from mw_components.notification_topic import DEFAULT_KMS_KEY, NotificationTopicArgs
from mw_components.output_bucket import OutputBucketArgs
from mw_components.pass_role import PassRoleArgs
from mw_components.patch_baseline import ApprovalRule, PatchBaselineArgs
from mw_components.service_role import ServiceRoleArgs
from mw_components.target import ResourceGroup, TargetArgs
from mw_components.task import (
    AUTOMATION,
    DEFAULT_EVENTS,
    LAMBDA,
    RUN_COMMAND,
    STEP_FUNCTIONS,
    CloudWatchOutput,
    Notifications,
    OutputS3,
    TaskArgs,
    targets_needed,
)
from mw_components.window import MaintenanceWindowArgs, duplicate_name_problems, task_reference_problems
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails

from mw_config import types
from mw_config.bounds import schema_extra
from mw_config.types import (
    PROBLEM,
    ClientContext,
    Days,
    Flag,
    Hours,
    JsonText,
    Number,
    OneOrMore,
    Rate,
    Region,
    Seconds,
    Tags,
    ValuesByName,
    Version,
    problem,
    problems_error,
    switch,
)
from mw_core import arns
from mw_core.errors import Problem
from mw_core.limits import describe_value

__all__ = ["NAMESPACE", "ConfigModel", "Stack", "StackModel", "validate"]

NAMESPACE = "maintenance-windows"  # the stack config's keys are `maintenance-windows:<key>`


@dataclass
class Stack:
    """What the stack provides to its parts, and the validation context that carries it.

    Read from the input before anything is validated (:meth:`StackModel.read`): whether ``allowWildcards`` is
    ``true``, and whether the stack has an output bucket, a topic and a log group for its Run Command tasks.
    """

    name: str = "stack"
    allow_wildcards: bool = False
    bucket: bool = False
    topic: bool = False
    log_group: bool = False
    events: tuple[str, ...] = DEFAULT_EVENTS
    notification_type: str = "Command"
    # aws:allowedAccountIds as given (None: not set; NOT_READ: the caller did not read it, and the rules that
    # need the deploying account are left out); its single entry is the deploying ("home") account.
    allowed_account_ids: Any = None

    @property
    def home_account(self) -> str | None:
        ids = self.allowed_account_ids
        if isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], str):
            return ids[0]
        return None


def stack_of(info: ValidationInfo) -> Stack:
    return info.context if isinstance(info.context, Stack) else Stack()


class ConfigModel(BaseModel):
    """A mapping of the stack config: camelCase keys only, no unknown key, ``null`` meaning "not given"."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, alias_generator=to_camel,
                              validate_by_alias=True, validate_by_name=False, use_attribute_docstrings=True,
                              json_schema_extra=schema_extra)
    # The component args this mapping becomes: their field checks apply to the fields of the same name.
    component: ClassVar[tuple[type, ...]] = ()
    _built: tuple[Stack, Any] | None = PrivateAttr(default=None)

    @classmethod
    def field_checks(cls) -> dict[str, tuple[Check, ...]]:
        """The checks of each field, by name: those its component declares on the field of the same name."""
        return _field_checks(cls.component)

    @model_validator(mode="before")
    @classmethod
    def _null_is_not_given(cls, data: Any) -> Any:
        # `description:` with nothing after it is null in YAML: the key is absent, its default applies. An unknown
        # key stays, null or not, to be reported: it is usually a typo.
        if isinstance(data, Mapping):
            known = cls.known_keys()
            return {key: value for key, value in data.items() if value is not None or key not in known}
        return data

    @classmethod
    def known_keys(cls) -> frozenset[str]:
        """The keys that may be given as null (not given)."""
        return _keys(cls)

    @field_validator("*", mode="after")
    @classmethod
    def _component_checks(cls, value: Any, info: ValidationInfo) -> Any:
        checks = cls.field_checks().get(info.field_name or "", ())
        if value is None or not checks:
            return value
        context = Context(fields=info.data, allow_wildcards=stack_of(info).allow_wildcards)
        found = run_checks(checks, value, context)
        if found:
            raise problems_error(found, value)
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _whatever_else_is_wrong(cls, data: Any, handler: Any, info: ValidationInfo) -> ConfigModel:
        try:
            return handler(data)
        except ValidationError as err:
            # The rules across this part's fields (its component's problems(), reported at the part itself) wait
            # for its values to be valid; those of input_problems() hold whatever else is wrong.
            if not isinstance(data, Mapping) or any(e["loc"] == () for e in err.errors()):
                raise
            extra = cls.input_problems(data)
            if not extra:
                raise
            raise _merged(err, extra, data) from None

    @classmethod
    def input_problems(cls, data: Mapping[str, Any]) -> list[Problem]:
        """Rules across fields read from the input as given, for a part some of whose values are wrong."""
        return []

    @model_validator(mode="after")
    def _component_rules(self, info: ValidationInfo) -> ConfigModel:
        found = self.component_problems(stack_of(info))
        if found:
            raise problems_error(found, self)
        return self

    def component_problems(self, stack: Stack) -> list[Problem]:
        """The rules across this part's fields: its component's ``rules()``, in Python terms (each field has
        passed the component's checks of it already)."""
        rules = getattr(self.args(stack), "rules", None)
        return rules() if rules is not None else []

    def args(self, stack: Stack) -> Any:
        """:meth:`to_args`, built once per stack (validation checks them, then the program gets them)."""
        if self._built is None or self._built[0] is not stack:
            self._built = (stack, self.to_args(stack))
        return self._built[1]

    def to_args(self, stack: Stack, **values: Any) -> Any:
        """The component args: every field the component has, lists as tuples, parts as their own args;
        ``values`` replace or add fields."""
        if not self.component:
            return None
        component = self.component[0]
        given = {name: _arg(getattr(self, name), stack) for name in _shared_fields(type(self), component)}
        return component(**{**given, **values})


@functools.cache
def _field_checks(components: tuple[type, ...]) -> dict[str, tuple[Check, ...]]:
    found: dict[str, tuple[Check, ...]] = {}
    for component in components:
        for name, checks in checks_of(component).items():
            found.setdefault(name, checks)
    return found


@functools.cache
def _keys(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(info.alias or name for name, info in model.model_fields.items())


@functools.cache
def _shared_fields(model: type[BaseModel], component: type) -> tuple[str, ...]:
    names = {f.name for f in dataclasses.fields(component)}
    return tuple(name for name in model.model_fields if name in names)


def _arg(value: Any, stack: Stack) -> Any:
    if isinstance(value, ConfigModel):
        return value.args(stack)
    if isinstance(value, (list, tuple)):
        return tuple(_arg(item, stack) for item in value)
    return value


def alias(model: type[BaseModel], name: str) -> str:
    """The YAML key of a field (``max_concurrency`` -> ``maxConcurrency``)."""
    return model.model_fields[name].alias or name


# ----------------------------------------------------------------------------------------------- the stack's parts


class ServiceRoleModel(ConfigModel):
    """The IAM role Systems Manager assumes to run tasks. Default: a role trusted by ssm.amazonaws.com only, with
    an aws:SourceAccount condition (the deploying account) and the AWS managed policy
    AmazonSSMMaintenanceWindowRole; tasks that notify a topic, invoke a function or start a state machine the
    managed policy does not cover add an inline policy on exactly that resource."""

    component = (ServiceRoleArgs,)

    arn: str | None = None
    """Use an existing role; then no other key is allowed and no role is created. Default: a role is created."""
    name: str | None = None
    """Role name. Default: Pulumi generates one from `service-role`."""
    description: str = ServiceRoleArgs.description
    """Role description."""
    trusted_services: list[str] = list(ServiceRoleArgs.trusted_services)
    """Service principals that may assume the role; must include ssm.amazonaws.com."""
    path: str | None = None
    """IAM path. Default: /."""
    permissions_boundary: str | None = None
    """Managed policy ARN bounding the role (arn:aws:iam::aws:policy/... or the account's own). Default: none."""
    source_account: str | None = None
    """Account in the aws:SourceAccount trust condition, 12 digits. Default: the deploying account."""
    tags: Tags = {}
    """Role tags. Default: none."""

    @field_validator("arn")
    @classmethod
    def _one_role(cls, arn: str, info: ValidationInfo) -> str:
        # Tasks run as this role and the passRole policy grants iam:PassRole on it: one role, never a pattern.
        found = arn_of(IAM_ROLE)(arn, Context())
        if found:
            raise problems_error(found, arn)
        return arn

    def component_problems(self, stack: Stack) -> list[Problem]:
        if self.arn is not None:
            return self._with_arn(self.model_fields_set)
        return super().component_problems(stack)

    @classmethod
    def input_problems(cls, data: Mapping[str, Any]) -> list[Problem]:
        given = {name for name, info in cls.model_fields.items() if data.get(info.alias or name) is not None}
        return cls._with_arn(given) if "arn" in given else []

    @classmethod
    def _with_arn(cls, given: set[str]) -> list[Problem]:
        """A role brought by ARN is used as it is: no other key."""
        return [Problem(name, "not allowed with `arn`: an existing role is used as it is")
                for name in cls.model_fields if name != "arn" and name in given]

    def to_args(self, stack: Stack, **values: Any) -> ServiceRoleArgs | None:
        if self.arn is not None:
            return None
        return super().to_args(stack, allow_wildcards=stack.allow_wildcards, **values)


class PassRoleModel(ConfigModel):
    """A customer managed policy granting iam:PassRole on exactly the service role's ARN, only to
    ssm.amazonaws.com, plus iam:ListRoles (on *, which AWS cannot scope) so the console can offer the role."""

    component = (PassRoleArgs,)

    policy_name: str | None = None
    """Policy name. Default: Pulumi generates one from `pass-role`."""
    description: str = PassRoleArgs.description
    """Policy description."""
    path: str | None = None
    """IAM path. Default: /."""
    groups: list[str] = []
    """IAM groups that get the policy. Default: none (the policy is created unattached)."""
    users: list[str] = []
    """IAM users that get the policy. Default: none."""
    roles: list[str] = []
    """IAM roles that get the policy. Default: none."""
    accounts: list[str] = []
    """With `accounts`: the accounts (by name or id) where the policy is created and attached. Default: every
    account of `accounts` (without `accounts`: the deploying account)."""


class OutputBucketModel(ConfigModel):
    """An S3 bucket for full Run Command output: ACLs off, public access blocked, encrypted, versioned, TLS only,
    retained on delete. Each task writes under its own prefix, <window>/<task>/, unless it sets keyPrefix."""

    component = (OutputBucketArgs,)

    bucket_name: str | None = None
    """Bucket name. Default: Pulumi generates one from `output-bucket`."""
    kms_key_arn: str | None = None
    """Encrypt with this KMS key (SSE-KMS, bucket key on). Default: SSE-S3 (AES256)."""
    expiration_days: Days = OutputBucketArgs.expiration_days
    """Days until output objects expire; 0 keeps them forever."""
    noncurrent_version_expiration_days: Days = OutputBucketArgs.noncurrent_version_expiration_days
    """Days a replaced or deleted version is kept."""
    protect: Flag = OutputBucketArgs.protect
    """Also Pulumi `protect`: the stack cannot be destroyed while the bucket is in it. Default: false (the bucket
    is retained on delete either way)."""
    tags: Tags = {}
    """Bucket tags. Default: none."""

    def to_args(self, stack: Stack, **values: Any) -> OutputBucketArgs:
        return super().to_args(stack, tags=self.tags or None, **values)


class NotificationsModel(ConfigModel):
    """An SNS topic encrypted with KMS that Run Command tasks notify; the service role gets sns:Publish on this
    topic and nothing else."""

    component = (NotificationTopicArgs, Notifications)

    topic_name: str | None = None
    """Topic name. Default: Pulumi generates one from `notifications`."""
    kms_master_key_id: str = DEFAULT_KMS_KEY
    """KMS key for the topic (cannot be empty)."""
    email_subscriptions: list[str] = []
    """Addresses subscribed by e-mail (each confirms once). Default: none."""
    events: OneOrMore = DEFAULT_EVENTS
    """Default events for tasks: All, InProgress, Success, TimedOut, Cancelled, Failed."""
    type: str = Notifications.type
    """Default notification type for tasks: Command (one per command) or Invocation (one per instance)."""
    tags: Tags = {}
    """Topic tags. Default: none."""

    def to_args(self, stack: Stack, **values: Any) -> NotificationTopicArgs:
        return super().to_args(stack, tags=self.tags or None, **values)


class CloudWatchOutputModel(ConfigModel):
    """A CloudWatch Logs group for Run Command output, retained on delete (one per region with regions)."""

    component = (OutputLogGroupArgs,)

    log_group_name: str | None = None
    """Log group name. Default: /maintenance-windows/<stack>."""
    retention_in_days: Days = OutputLogGroupArgs.retention_in_days
    """One of CloudWatch's retention values."""
    kms_key_id: str | None = None
    """KMS key ARN for the logs. Default: CloudWatch Logs' own encryption."""
    tags: Tags = {}
    """Log group tags. Default: none."""

    def to_args(self, stack: Stack, **values: Any) -> OutputLogGroupArgs:
        return super().to_args(stack, log_group_name=self.log_group_name or f"/maintenance-windows/{stack.name}",
                               tags=self.tags or None, **values)


class ApprovalRuleModel(ConfigModel):
    """Approve patches matching filters some days after release."""

    component = (ApprovalRule,)

    filters: ValuesByName
    """AWS patch filter keys to values, e.g. {CLASSIFICATION: [Security], SEVERITY: [Critical]}; 1 to 4."""
    approve_after_days: Days = ApprovalRule.approve_after_days
    """Days after release before a patch is approved, 0-360."""
    compliance_level: str = ApprovalRule.compliance_level
    """Severity of a missing approved patch."""
    enable_non_security: Flag = ApprovalRule.enable_non_security
    """Linux: also install non-security updates."""


class PatchBaselineModel(ConfigModel):
    """A custom patch baseline, registered for its patch groups: what Operation=Install installs."""

    component = (PatchBaselineArgs,)

    name: str
    """3-128 letters, digits, _ - ."""
    operating_system: str
    """AWS's OperatingSystem: AMAZON_LINUX_2023, WINDOWS, UBUNTU, ..."""
    description: str | None = None
    """Default: none."""
    approval_rules: list[ApprovalRuleModel] = []
    """Up to 10 rules. Default: none; a baseline needs rules or approvedPatches."""
    approved_patches: list[str] = []
    """Patch IDs or names always approved, up to 50. Default: none."""
    rejected_patches: list[str] = []
    """Patch IDs or names never installed, up to 50. Default: none."""
    rejected_patches_action: str = PatchBaselineArgs.rejected_patches_action
    """BLOCK (not even as a dependency) or ALLOW_AS_DEPENDENCY."""
    patch_groups: list[str] = []
    """Patch groups that use this baseline (instances tagged `Patch Group`). Default: none."""
    tags: Tags = {}
    """Baseline tags. Default: none."""


# ------------------------------------------------------------------------------------------------ targets and tasks


class ResourceGroupModel(ConfigModel):
    """A resource group target."""

    component = (ResourceGroup,)

    name: str
    """The resource group's name."""
    resource_types: list[str] = []
    """Only resources of these types (AWS::EC2::Instance). Default: every resource in the group."""


class TargetModel(ConfigModel):
    """A registered target: a name and exactly one mode (tags and/or tagKeys, instanceIds, resourceGroup)."""

    component = (TargetArgs,)

    name: str
    """Unique in the window; tasks refer to it."""
    tags: ValuesByName = {}
    """key: value or key: [values]; an instance must match every key (AND) and one value of each (OR); at most 5
    keys and 50 values per key."""
    tag_keys: list[str] = []
    """Instances having these tag keys, whatever the values (may go with tags)."""
    instance_ids: list[str] = []
    """i-... or mi-..., at most 50."""
    resource_group: ResourceGroupModel | None = None
    """{name, resourceTypes: [AWS::EC2::Instance, ...]}."""
    description: str | None = None
    """Default: none."""
    owner_information: str | None = None
    """Sent with every CloudWatch event of runs on these targets. Default: none."""


class OutputS3Model(ConfigModel):
    """Full Run Command output in S3."""

    component = (OutputS3,)

    bucket: str | None = None
    """The bucket. Default: the stack's outputBucket (required without one)."""
    key_prefix: str | None = None
    """Default: <window>/<task>/, so tasks never share a prefix."""


class CloudWatchModel(ConfigModel):
    """Run Command output in CloudWatch Logs."""

    component = (CloudWatchOutput,)

    log_group: str | None = None
    """Default: the stack's cloudWatchOutput log group, else AWS's /aws/ssm/<document>."""


class TaskNotificationsModel(ConfigModel):
    """SNS notifications about a Run Command task's status."""

    component = (Notifications,)

    topic_arn: str | None = None
    """The topic. Default: the stack's notifications topic (required without one)."""
    events: OneOrMore | None = None
    """Default: the stack's notifications.events, else [Failed, TimedOut, Cancelled]."""
    type: str | None = None
    """Command or Invocation. Default: the stack's notifications.type, else Command."""
    role_arn: str | None = None
    """The role Run Command uses to publish, not the task's role. Default: the stack's service role, which then
    gets sns:Publish on that topic only."""


class TaskModel(ConfigModel):
    """The keys every task type shares."""

    component = (TaskArgs,)

    name: str
    """Unique in the window."""
    type: str
    """RUN_COMMAND, AUTOMATION, LAMBDA or STEP_FUNCTIONS."""
    priority: Number = TaskArgs.priority
    """Lower runs first; equal priorities run in parallel."""
    targets: list[str] = []
    """Names of this window's targets (at most 10). Default: none; required for RUN_COMMAND."""
    instance_ids: list[str] = []
    """Unregistered instances; needs allowUnregisteredTargets: true. Default: none."""
    max_concurrency: Rate | None = None
    """1 or 10% (YAML integers accepted). Default: 1 when the task has targets; must be absent without targets."""
    max_errors: Rate | None = None
    """0, 1 or 10%. Default: 1 when the task has targets; must be absent without targets."""
    cutoff_behavior: str | None = None
    """CONTINUE_TASK or CANCEL_TASK when the cutoff is reached. Default: AWS's CONTINUE_TASK."""
    service_role_arn: str | None = None
    """The role this task runs with. Default: the stack's service role."""
    description: str | None = None
    """Default: none."""

    @classmethod
    def known_keys(cls) -> frozenset[str]:
        # Another type's key with nothing after it says nothing: it is not given either.
        return frozenset().union(*(_keys(model) for model in TASK_MODELS.values()))

    @classmethod
    def input_problems(cls, data: Mapping[str, Any]) -> list[Problem]:
        """A Run Command task needs targets."""
        given = [data.get(alias(cls, name)) for name in ("targets", "instance_ids")]
        # Targets of the wrong kind are given all the same: their own problem says what is wrong.
        needed = targets_needed(data.get("type"), any(v not in (None, [], "") for v in given))
        return [] if needed is None else [needed]


class RunCommandTask(TaskModel):
    """A Run Command task: a document sent to the targets."""

    type: Literal["RUN_COMMAND"]
    document: str
    """The document, e.g. AWS-RunPatchBaseline."""
    document_version: Version | None = None
    """$LATEST, $DEFAULT or a number. Default: the document's default version."""
    parameters: ValuesByName = {}
    """name: value or name: [values]. Default: none."""
    timeout_seconds: Seconds | None = None
    """30-2592000. Default: the document's own."""
    comment: str | None = None
    """At most 100 characters. Default: none."""
    output_s3: types.switch(OutputS3Model) | None = None  # type: ignore[valid-type]
    """{bucket, keyPrefix}, or false. Default: the stack's outputBucket when it has one, else no copy in S3."""
    cloudwatch: switch(CloudWatchModel) | None = Field(None, alias="cloudWatch")  # type: ignore[valid-type]
    """{logGroup}, or false. Default: the stack's cloudWatchOutput when it has one, else none."""
    notifications: switch(TaskNotificationsModel) | None = None  # type: ignore[valid-type]
    """{topicArn, events, type, roleArn}, or false. Default: the stack's notifications topic when it has one, else
    none."""

    @field_validator("output_s3", "cloudwatch", "notifications")
    @classmethod
    def _stack_provides(cls, value: Any, info: ValidationInfo) -> Any:
        stack = stack_of(info)
        field, provided, key = {"output_s3": ("bucket", stack.bucket, "output_bucket"),
                                "notifications": ("topic_arn", stack.topic, "notifications"),
                                "cloudwatch": (None, stack.log_group, "cloudwatch_output")}[info.field_name or ""]
        if value is True and not provided:
            raise problem(f"true needs the stack's own `{key}` (or give a mapping)")
        if isinstance(value, ConfigModel) and field is not None and getattr(value, field) is None and not provided:
            raise problem(f"required key is missing (the stack has no `{key}` to default to)", field)
        return value

    def to_args(self, stack: Stack, **values: Any) -> TaskArgs:
        def chosen(value: Any, provided: bool) -> Any:
            # false: off; absent: the stack's, when it has one; true or a mapping: on (None: the stack's).
            if value is None:
                return {} if provided else None
            return None if value is False else ({} if value is True else value)

        s3 = chosen(self.output_s3, stack.bucket)
        logs = chosen(self.cloudwatch, stack.log_group)
        notify = chosen(self.notifications, stack.topic)
        if isinstance(notify, TaskNotificationsModel):
            notify = Notifications(notify.topic_arn, notify.events or stack.events,
                                   notify.type or stack.notification_type, notify.role_arn)
        elif notify is not None:
            notify = Notifications(None, stack.events, stack.notification_type)
        return super().to_args(
            stack,
            output_s3=s3.args(stack) if isinstance(s3, ConfigModel) else (None if s3 is None else OutputS3(None)),
            cloudwatch=(logs.args(stack) if isinstance(logs, ConfigModel)
                        else None if logs is None else CloudWatchOutput()),
            notifications=notify, **values)


class AutomationTask(TaskModel):
    """An Automation task: a runbook started on the targets."""

    type: Literal["AUTOMATION"]
    document: str
    """The runbook, e.g. AWS-RestartEC2Instance."""
    document_version: Version | None = None
    """$LATEST, $DEFAULT or a number. Default: the document's default version."""
    parameters: ValuesByName = {}
    """name: value or name: [values]; AutomationAssumeRole is a role passed on. Default: none."""


class LambdaTask(TaskModel):
    """A Lambda task: a function invoked once per window run."""

    type: Literal["LAMBDA"]
    function_arn: str
    """The function's ARN; its name alone when it starts with SSM or the task has its own serviceRoleArn."""
    payload: JsonText | None = None
    """A mapping or JSON text, at most 4096 bytes. Default: none."""
    qualifier: str | None = None
    """A version or alias. Default: the unqualified function ($LATEST)."""
    client_context: ClientContext | None = None
    """A mapping (sent base64-encoded) or base64 text. Default: none."""


class StepFunctionsTask(TaskModel):
    """A Step Functions task: a state machine execution started once per window run."""

    type: Literal["STEP_FUNCTIONS"]
    state_machine_arn: str
    """The state machine's ARN."""
    input: JsonText | None = None
    """A mapping or JSON text, at most 4096 characters. Default: none."""
    execution_name: str | None = None
    """1-80 characters. Default: one Step Functions generates."""


TASK_MODELS: Mapping[str, type[TaskModel]] = {RUN_COMMAND: RunCommandTask, AUTOMATION: AutomationTask,
                                             LAMBDA: LambdaTask, STEP_FUNCTIONS: StepFunctionsTask}
Task = Annotated[RunCommandTask | AutomationTask | LambdaTask | StepFunctionsTask, Field(discriminator="type")]


# ------------------------------------------------------------------------------------------------- windows


def _items(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a list as given (anything else as an empty mapping, so indexes stay the input's)."""
    return [item if isinstance(item, Mapping) else {} for item in value] if isinstance(value, list) else []


def _merged(err: ValidationError | None, extra: list[Problem], data: Any) -> ValidationError:
    """``err``'s errors and ``extra``'s problems as one error."""
    details: list[InitErrorDetails] = []
    for e in err.errors() if err is not None else ():
        if e["type"] == PROBLEM:
            kind: Any = types.problem(e["ctx"]["message"], e["ctx"].get("path", ""))
        else:
            kind = e["type"]
        details.append(InitErrorDetails(type=kind, loc=e["loc"], input=e["input"],
                                        **({"ctx": e["ctx"]} if e.get("ctx") and e["type"] != PROBLEM else {})))
    details += [InitErrorDetails(type=types.problem(p.message, p.path), loc=(), input=data) for p in extra]
    return ValidationError.from_exception_data(PROBLEM, details)


class WindowModel(ConfigModel):
    """A maintenance window with its targets and tasks; its targets and tasks are named <window>-<target> and
    <window>-<task> (renaming one replaces it)."""

    component = (MaintenanceWindowArgs,)

    name: str
    """3-128 letters, digits, _ - .; unique in the stack; also the window's Pulumi name."""
    schedule: str
    """cron(...), rate(...) or at(...), as AWS takes it."""
    duration: Hours
    """Hours the window stays open, 1-24."""
    cutoff: Hours = MaintenanceWindowArgs.cutoff
    """Hours before the end when no new task starts, 0-23 and less than duration. Default: 0 (tasks may start
    until the end)."""
    description: str | None = None
    """1-128 characters. Default: none."""
    schedule_timezone: str | None = None
    """IANA zone the schedule is read in, e.g. America/New_York. Default: UTC."""
    schedule_offset: Days | None = None
    """Days after each cron match to open, 1-6; cron only. Default: none."""
    start_date: str | None = None
    """ISO-8601; the window is inactive before it. Default: active from creation."""
    end_date: str | None = None
    """ISO-8601, after startDate; the window is inactive after it. Default: no end."""
    allow_unregistered_targets: Flag = MaintenanceWindowArgs.allow_unregistered_targets
    """Let tasks name instances that are not registered targets (AWS AllowUnassociatedTargets). Default: false."""
    enabled: Flag = MaintenanceWindowArgs.enabled
    """Default: true."""
    tags: Tags = {}
    """Window tags (string values). Default: none."""
    targets: list[TargetModel] = []
    """The window's targets. Default: none."""
    tasks: list[Task] = []
    """The window's tasks. Default: none."""

    @classmethod
    def input_problems(cls, data: Mapping[str, Any]) -> list[Problem]:
        """Names unique among targets and among tasks, and tasks naming the window's targets."""
        targets, tasks = _items(data.get("targets")), _items(data.get("tasks"))
        names = [t.get("name") for t in targets]
        out = [Problem(f"targets{p.path}", p.message) for p in duplicate_name_problems(names, "target")]
        out += [Problem(f"tasks{p.path}", p.message)
                for p in duplicate_name_problems([t.get("name") for t in tasks], "task")]
        allowed = data.get(alias(cls, "allow_unregistered_targets"))
        known = [n for n in names if isinstance(n, str)]
        if len(known) < len(_list(data.get("targets"))):
            return out  # a target without a readable name: which names tasks may use is not known
        for index, task in enumerate(tasks):
            found = task_reference_problems(_list(task.get(alias(TaskModel, "targets"))),
                                            bool(task.get(alias(TaskModel, "instance_ids"))), known,
                                            allowed if isinstance(allowed, bool) else True)
            out += [Problem(f"tasks[{index}].{p.path}", p.message) for p in found]
        return out

    def to_args(self, stack: Stack, **values: Any) -> MaintenanceWindowArgs:
        return super().to_args(stack, allow_wildcards=stack.allow_wildcards, **values)


# ------------------------------------------------------------------------------------------------------- accounts

ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,49}")


def _account_name_problem(name: str) -> str | None:
    if ACCOUNT_NAME.fullmatch(name):
        return None
    return (f"{describe_value(name)} is not allowed (allowed: 1 to 50 letters, digits, _ . -, starting with a letter "
            "or digit: it starts the names of the account's resources and its S3 key prefix)")


class AccountModel(ConfigModel):
    """An AWS account the stack deploys windows to, through a role it assumes there (one explicit provider per
    account). Its resources are named <name>-<resource>, except the deploying account's, which keep their names."""

    id: str
    """The account ID, 12 digits (quote it in YAML)."""
    name: str | None = None
    """Label used in the names of the account's resources, its S3 key prefix and the stack output. Default: the
    id."""
    role_arn: str | None = None
    """The IAM role Pulumi assumes to deploy in this account, in this account. Required unless id is the deploying
    account (aws:allowedAccountIds), which uses the stack's own credentials."""
    regions: list[Region] | None = None
    """Regions of this account's windows, log groups and baselines. Default: maintenance-windows:regions, else the
    provider's region (aws:region)."""
    windows: list[str] | None = None
    """Names of the stack's windows deployed in this account. Default: every window of the stack."""

    @field_validator("id")
    @classmethod
    def _account_id(cls, value: str) -> str:
        found = arns.account_problem(value)
        if found:
            raise problem(found)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        found = _account_name_problem(value)
        if found:
            raise problem(found)
        return value

    @field_validator("role_arn")
    @classmethod
    def _role(cls, arn: str) -> str:
        found = arn_of(IAM_ROLE)(arn, Context())
        if found:
            raise problems_error(found, arn)
        return arn


def account_problems(data: Mapping[str, Any], stack: Stack) -> list[Problem]:
    """The rules of ``accounts`` across the stack, read from the input whatever else is wrong."""
    raw = data.get("accounts")
    if raw is None:
        out = []
        if _list(_mapping(data.get(alias(StackModel, "pass_role"))).get("accounts")):
            out.append(Problem("pass_role.accounts", "needs `accounts`: without it the policy is in the deploying "
                                                     "account only"))
        return out
    accounts = _items(raw)
    out: list[Problem] = []
    home = stack.home_account
    known_home = stack.allowed_account_ids is not NOT_READ
    if home is None and known_home:
        out.append(Problem("accounts", f"needs aws:allowedAccountIds with exactly one account, the deploying one "
                                       f"(got {describe_value(stack.allowed_account_ids)}): resources without a "
                                       "role to assume are created there"))
    ids = [a.get("id") for a in accounts]
    names = [a.get("name", a.get("id")) if a.get("name") is not None else a.get("id") for a in accounts]
    out += _unique_values("accounts", "id", ids)
    out += _unique_values("accounts", "name", names)
    window_names = [w.get("name") for w in _items(data.get("windows")) if isinstance(w.get("name"), str)]
    members = []
    for index, account in enumerate(accounts):
        at = f"accounts[{index}]"
        account_id, role = account.get("id"), account.get(alias(AccountModel, "role_arn"))
        if (isinstance(account_id, str) and arns.ACCOUNT_ID.fullmatch(account_id) and account_id != home
                and (known_home or role is not None)):
            members.append(index)
            if role is None and home is not None:
                out.append(Problem(f"{at}.role_arn", f"required key is missing: {account_id} is not the deploying "
                                                     f"account ({home}), so Pulumi needs a role to assume there"))
        if isinstance(role, str) and isinstance(account_id, str) and arns.ACCOUNT_ID.fullmatch(account_id):
            role_account = arns.account_of(role)
            if role_account is not None and arns.ACCOUNT_ID.fullmatch(role_account) and role_account != account_id:
                out.append(Problem(f"{at}.role_arn", f"{role!r} is in account {role_account}, not in this account "
                                                     f"({account_id}): the role must be in the account it deploys"))
        for position, name in enumerate(_list(account.get("windows"))):
            if isinstance(name, str) and name not in window_names:
                known = ", ".join(window_names) or "none"
                out.append(Problem(f"{at}.windows[{position}]", f"{name!r} is not a window of this stack (allowed: "
                                                                f"{known})"))
        out += _unique(f"{at}.windows", _list(account.get("windows")), "")
        out += _unique(f"{at}.regions", _list(account.get("regions")), "")
    if accounts and all(account.get("windows") is not None for account in accounts):
        listed = {n for account in accounts for n in _list(account.get("windows")) if isinstance(n, str)}
        for index, name in enumerate(window_names):
            if name not in listed:
                out.append(Problem(f"windows[{index}]", f"{name!r} is in no account's windows list, so it would "
                                                        "be deployed nowhere: add it to an account's list, or leave "
                                                        "the list out of one account (it then takes every window)"))
    pass_role = _mapping(data.get(alias(StackModel, "pass_role")))
    known = [n for n in [*names, *ids] if isinstance(n, str)]
    for position, name in enumerate(_list(pass_role.get("accounts"))):
        if isinstance(name, str) and name not in known:
            allowed = ", ".join(dict.fromkeys(n for n in names if isinstance(n, str))) or "none"
            out.append(Problem(f"pass_role.accounts[{position}]", f"{name!r} names no account of `accounts` "
                                                                  f"(allowed: {allowed}, or their ids)"))
    if members:
        first = f"accounts[{members[0]}]"
        service_role = _mapping(data.get(alias(StackModel, "service_role")))
        if service_role.get("arn") is not None:
            out.append(Problem("service_role.arn", f"not allowed with member accounts ({first} is not the deploying "
                                                   "account): each account gets its own created service role"))
        topic = data.get("notifications")
        if isinstance(topic, Mapping):
            key = topic.get(alias(NotificationsModel, "kms_master_key_id"), DEFAULT_KMS_KEY)
            if isinstance(key, str) and key.startswith(AWS_MANAGED_KEY_PREFIX):
                out.append(Problem("notifications.kms_master_key_id",
                                   f"{key!r} is an AWS managed key, whose key policy cannot let the service roles "
                                   f"of other accounts ({first}) publish: give the ARN of a customer managed key "
                                   "whose key policy allows them kms:GenerateDataKey* and kms:Decrypt"))
    return out


AWS_MANAGED_KEY_PREFIX = "alias/aws/"
NOT_READ: Any = type("NotRead", (), {"__repr__": lambda self: "NOT_READ"})()  # aws:allowedAccountIds not read


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _unique_values(key: str, field: str, values: Sequence[Any]) -> list[Problem]:
    out: list[Problem] = []
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        if value in first:
            out.append(Problem(f"{key}[{index}].{field}", f"{value!r} is already the {field} of "
                                                          f"`{key}[{first[value]}]`"))
        else:
            first[value] = index
    return out


# --------------------------------------------------------------------------------------------------- the stack


class StackModel(ConfigModel):
    """The stack's maintenance-windows:* config. Unknown keys are errors (they are usually typos)."""

    allow_wildcards: Flag = False
    """ARNs the stack turns into IAM grants (a task's functionArn, stateMachineArn and notifications.topicArn) may
    hold * or ?, and the policy pack's iam-resource-scope rule judges them. Default: false (one resource each).
    Role ARNs never take a wildcard."""
    service_role: ServiceRoleModel = ServiceRoleModel()
    """The role Systems Manager assumes to run tasks. Default: one is created (see its keys)."""
    pass_role: PassRoleModel = PassRoleModel()
    """The policy that lets its holders pass the service role to Systems Manager. Default: created unattached."""
    windows: list[WindowModel] = []
    """The maintenance windows. Default: none."""
    output_bucket: OutputBucketModel | None = None
    """An S3 bucket for full Run Command output, every Run Command task's unless it says otherwise. Default:
    none."""
    notifications: NotificationsModel | None = None
    """An encrypted SNS topic every Run Command task notifies unless it says otherwise. Default: none."""
    cloudwatch_output: CloudWatchOutputModel | None = Field(None, alias="cloudWatchOutput")
    """A CloudWatch Logs group every Run Command task writes to unless it says otherwise. Default: none."""
    patch_baselines: list[PatchBaselineModel] = []
    """Custom patch baselines, so Operation=Install installs what you approved. Default: none."""
    regions: list[Region] = []
    """Regions windows, log groups and baselines are created in, named <name>-<region>, except in the provider's
    own region (aws:region), where they keep their name <name>. Default: the provider's region only."""
    accounts: list[AccountModel] | None = None
    """AWS accounts to deploy windows to (see docs/accounts.md); needs aws:allowedAccountIds (the deploying
    account). Default: the deploying account only, as without this key."""

    @model_validator(mode="wrap")
    @classmethod
    def _across_parts(cls, data: Any, handler: Any, info: ValidationInfo) -> StackModel:
        if isinstance(data, Mapping):
            cls.read(data, stack_of(info))
        extra = cls.part_problems(data) if isinstance(data, Mapping) else []
        if isinstance(data, Mapping):
            extra += account_problems(data, stack_of(info))
        try:
            value = handler(data)
        except ValidationError as err:
            raise _merged(err, extra, data) from None
        if extra:
            raise problems_error(extra, data)
        return value

    @classmethod
    def read(cls, data: Mapping[str, Any], stack: Stack) -> None:
        """What the stack provides to its parts, from the input (a value with problems counts as given; it is
        reported where it stands, and the stack's parts are not built from it)."""
        stack.allow_wildcards = data.get(alias(cls, "allow_wildcards")) is True
        stack.bucket = data.get(alias(cls, "output_bucket")) is not None
        stack.log_group = data.get(alias(cls, "cloudwatch_output")) is not None
        topic = data.get(alias(cls, "notifications"))
        stack.topic = topic is not None
        events = topic.get("events") if isinstance(topic, Mapping) else None
        kind = topic.get("type") if isinstance(topic, Mapping) else None
        if isinstance(events, str):
            events = [events]
        if isinstance(events, list) and events and all(isinstance(e, str) for e in events):
            stack.events = tuple(events)
        if isinstance(kind, str):
            stack.notification_type = kind

    @classmethod
    def part_problems(cls, data: Mapping[str, Any]) -> list[Problem]:
        """Names unique in the stack, and child names that would collide (from the input, whatever else is
        wrong): children are named <parent>-<child>, so web-db + fleet and web + db-fleet are one name twice."""
        windows, baselines = _items(data.get("windows")), _items(data.get(alias(cls, "patch_baselines")))
        out = _unique("windows", [w.get("name") for w in windows], "is already the name of")
        out += _unique("patch_baselines", [b.get("name") for b in baselines], "is already the name of")
        regions = data.get("regions")
        out += _unique("regions", regions if isinstance(regions, list) else [], "")
        kinds = {
            "target": [(f"windows[{w}].targets[{i}].name", f"{window.get('name')}-{t.get('name')}")
                       for w, window in enumerate(windows) for i, t in enumerate(_items(window.get("targets")))
                       if isinstance(window.get("name"), str) and isinstance(t.get("name"), str)],
            "task": [(f"windows[{w}].tasks[{i}].name", f"{window.get('name')}-{t.get('name')}")
                     for w, window in enumerate(windows) for i, t in enumerate(_items(window.get("tasks")))
                     if isinstance(window.get("name"), str) and isinstance(t.get("name"), str)],
            "patch group": [(f"patch_baselines[{b}].patch_groups[{i}]", f"{baseline.get('name')}-{group}")
                            for b, baseline in enumerate(baselines)
                            for i, group in enumerate(_list(baseline.get(alias(PatchBaselineModel, "patch_groups"))))
                            if isinstance(baseline.get("name"), str) and isinstance(group, str)],
        }
        for kind, named in kinds.items():
            first: dict[str, str] = {}
            for path, name in named:
                if name in first:
                    out.append(Problem(path, f"the {kind} resource would be named {name!r}, as `{first[name]}` "
                                             "already is (names are <parent>-<child>); rename one of them"))
                else:
                    first[name] = path
        return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _unique(key: str, names: Sequence[Any], message: str) -> list[Problem]:
    """Each text name once in a list: ``key[i].name`` (``key[i]`` for a list of names) after its first use."""
    out: list[Problem] = []
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if not isinstance(name, str):
            continue
        if name in first:
            if message:
                out.append(Problem(f"{key}[{index}].name", f"{name!r} {message} `{key}[{first[name]}]`"))
            else:
                out.append(Problem(f"{key}[{index}]", f"{name!r} is listed more than once"))
        else:
            first[name] = index
    return out


def validate(raw: Any, stack: str = "stack", allowed_account_ids: Any = NOT_READ) -> tuple[StackModel, Stack]:
    """``raw`` (the ``maintenance-windows:`` keys, namespace stripped) as a :class:`StackModel`, or
    ``ValidationError`` with every problem; the second value is what the stack provides to its tasks, with which
    the parts' args (:meth:`ConfigModel.args`) were built. ``allowed_account_ids`` is ``aws:allowedAccountIds``
    (``accounts`` needs exactly one; :data:`NOT_READ` when the caller did not read it)."""
    context = Stack(stack, allowed_account_ids=allowed_account_ids)
    return StackModel.model_validate(raw, context=context), context
