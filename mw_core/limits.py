"""AWS's limits for maintenance windows, targets and tasks: one constant per limit, named after its shape.

The numbers and patterns come from the SSM API model (``botocore/data/ssm/2014-11-06/service-2.json``,
the source of the SSM API Reference); ``tests/test_limits.py`` compares every constant that names a
``shape`` with that model, so a change on AWS's side fails a test instead of slipping through. Where the
AWS documentation says more than the model (a quota, S3's bucket naming rules, Step Functions' execution
names), the constant has no shape or carries a ``source`` naming the page it comes from.

Pure standard library: the program's config validation and the policy pack both import this module.

Usage::

    from mw_core import limits
    problem = limits.check(limits.MAX_CONCURRENCY, "150%")   # None when AWS would accept the value
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LOG_RETENTION_DAYS", "Limit", "all_limits", "check", "describe_value", "whole"]

_KINDS = frozenset({"string", "blob", "integer", "list", "map", "enum"})


@dataclass(frozen=True)
class Limit:
    """One AWS limit: the length, range, count, pattern or allowed values of one request field.

    ``min``/``max`` bound the length of a ``string`` (characters), the size of a ``blob`` (UTF-8 bytes),
    the value of an ``integer``, or the number of items of a ``list`` or entries of a ``map``.
    ``aws_pattern`` is the pattern as the API model writes it (Java syntax); ``pattern`` is the compiled
    Python equivalent, matched against the whole value.
    """

    what: str
    kind: str
    shape: str | None = None
    min: int | None = None
    max: int | None = None
    aws_pattern: str | None = None
    values: tuple[str, ...] = ()
    # A Python pattern for what ``aws_pattern`` cannot say in Python's syntax (``\p{L}``), or for a rule
    # the documentation states and the model does not (then ``source`` says where).
    python_pattern: str | None = None
    # The rule in words, used in messages instead of an unreadable regular expression.
    rule: str = ""
    source: str = ""
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.python_pattern is not None:
            compiled: re.Pattern[str] | None = re.compile(self.python_pattern)
        elif self.aws_pattern is not None:
            if r"\p{" in self.aws_pattern:
                raise ValueError(f"{self.what}: {self.aws_pattern!r} needs a python_pattern")
            # The model's patterns are Java regular expressions, where \w, \d and \s are ASCII-only.
            compiled = re.compile(self.aws_pattern, re.ASCII)
        else:
            compiled = None
        object.__setattr__(self, "pattern", compiled)

    @property
    def allowed(self) -> str:
        """What AWS accepts, in words: ``3 to 128 characters matching ^[a-zA-Z0-9_\\-.]{3,128}$``."""
        if self.kind == "enum":
            return "one of " + ", ".join(self.values)
        unit = {"string": " characters", "blob": " bytes (UTF-8)", "list": " items", "map": " entries"}.get(
            self.kind, ""
        )
        parts = [_bounds(self.min, self.max) + unit] if (self.min, self.max) != (None, None) else []
        if self.rule:
            parts.append(self.rule)
        elif self.pattern is not None:
            parts.append(f"matching {self.aws_pattern or self.python_pattern}")
        return ", ".join(parts) or "any value"


def _bounds(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return str(low) if low == high else f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    return f"at most {high}"


def describe_value(value: Any) -> str:
    """A short rendering of a received value: ``'abc'``, ``3``, ``2.5``, ``true``, ``a list of 6``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    if value is None:
        return "null"
    if isinstance(value, dict):
        return f"a mapping of {len(value)}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    return type(value).__name__


def whole(value: Any) -> int | None:
    """An integer from an int or an integral float (the engine sends every number as a float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def check(limit: Limit, value: Any) -> str | None:
    """A description of why AWS would reject ``value`` for ``limit``, or ``None`` if it is within it.

    The description names the value and what is allowed, not the field: callers prefix their own path.
    """
    shown = describe_value(value)
    if limit.kind == "enum":
        if value in limit.values:
            return None
        return f"{shown} is not allowed (allowed: {limit.allowed})"
    if limit.kind == "integer":
        number = whole(value)
        if number is None:
            expected = "a whole number" if isinstance(value, (int, float)) and not isinstance(value, bool) else (
                "a number")
            return f"expected {expected}, got {shown} (allowed: {limit.allowed})"
        if (limit.min is not None and number < limit.min) or (limit.max is not None and number > limit.max):
            return f"{_shown_number(number)} is out of range (allowed: {limit.allowed})"
        if not INT32_MIN <= number <= INT32_MAX:
            # The API models' "integer" is 32 bits (their 64-bit type is "long"): a larger number cannot be sent.
            return f"{_shown_number(number)} is out of range (allowed: {limit.allowed}, and at most {INT32_MAX:,}: " \
                   "AWS's integers are 32-bit)"
        return None
    if limit.kind in ("list", "map"):
        # A mapping also counts for a list: config often keys the list's items (patch filters by key).
        container = (list, tuple, dict) if limit.kind == "list" else (dict,)
        if not isinstance(value, container):
            return f"expected a {limit.kind}, got {shown}"
        size = len(value)
        noun = "item" if limit.kind == "list" else "entry"
        plural = noun if size == 1 else ("items" if noun == "item" else "entries")
        if (limit.min is not None and size < limit.min) or (limit.max is not None and size > limit.max):
            return f"{size} {plural} (allowed: {limit.allowed})"
        return None
    # string and blob
    if not isinstance(value, str):
        return f"expected a string, got {shown}"
    size = len(value.encode("utf-8")) if limit.kind == "blob" else len(value)
    unit = ("byte" if limit.kind == "blob" else "character") + ("" if size == 1 else "s")
    if (limit.min is not None and size < limit.min) or (limit.max is not None and size > limit.max):
        return f"{shown} is {size} {unit} long (allowed: {limit.allowed})"
    if limit.pattern is not None and limit.pattern.fullmatch(value) is None:
        # fullmatch: most model patterns are anchored already; the few that are not (DocumentVersion,
        # TargetKey) list whole values as alternatives, and AWS means the whole value.
        return f"{shown} is not allowed (allowed: {limit.allowed})"
    return None


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
RESERVED_TAG_PREFIX = "aws:"


def _shown_number(number: int) -> str:
    text = str(number)
    return text if len(text) <= 20 else f"{text[:3]}... ({len(text)} digits)"


def tag_problems(tags: Any, *, reserved: bool = True) -> list[tuple[str, str]]:
    """``(key, problem)`` for each tag AWS would refuse: :data:`TAG_KEY` and :data:`TAG_VALUE`, and the
    reserved ``aws:`` prefix in any case ("Tag naming limits and requirements", AWS tagging guide; IAM User
    Guide, "Rules for tagging"). ``reserved=False`` allows that prefix (tag conditions may name tags AWS
    itself sets, such as ``aws:autoscaling:groupName``)."""
    if not isinstance(tags, dict):
        return [("", f"expected a mapping of tags, got {describe_value(tags)}")]
    out = []
    for key, value in tags.items():
        problem = check(TAG_KEY, key)
        if problem is None and reserved and str(key).lower().startswith(RESERVED_TAG_PREFIX):
            problem = f"{describe_value(key)} starts with 'aws:', which AWS reserves for its own tags"
        if problem is None:
            problem = check(TAG_VALUE, value)
            problem = None if problem is None else f"value {problem}"
        if problem is not None:
            out.append((str(key), problem))
    return out


def all_limits() -> dict[str, Limit]:
    """Every ``Limit`` constant of this module by name (the drift test walks them)."""
    return {name: value for name, value in globals().items() if isinstance(value, Limit)}


# --- Shared pieces --------------------------------------------------------------------------------

_NAME_PATTERN = r"^[a-zA-Z0-9_\-.]{3,128}$"
_UUID_PATTERN = r"^[0-9a-fA-F]{8}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{12}$"
# \p{Z}: the Unicode separators (Zs, Zl, Zp). Python's re has no \p{...}; \s is a different set.
_UNICODE_SEPARATORS = "\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# --- CreateMaintenanceWindow (and the window's fields everywhere else) ------------------------------

WINDOW_NAME = Limit("maintenance window name", "string", "MaintenanceWindowName", 3, 128, _NAME_PATTERN)
WINDOW_DESCRIPTION = Limit("description", "string", "MaintenanceWindowDescription", 1, 128)
WINDOW_SCHEDULE = Limit("schedule expression", "string", "MaintenanceWindowSchedule", 1, 256)
WINDOW_DURATION_HOURS = Limit("duration in hours", "integer", "MaintenanceWindowDurationHours", 1, 24)
WINDOW_CUTOFF = Limit("cutoff in hours", "integer", "MaintenanceWindowCutoff", 0, 23)
WINDOW_OFFSET = Limit("schedule offset in days", "integer", "MaintenanceWindowOffset", 1, 6)
WINDOW_ID = Limit("maintenance window ID", "string", "MaintenanceWindowId", 20, 20, r"^mw-[0-9a-f]{17}$")

# --- RegisterTargetWithMaintenanceWindow ----------------------------------------------------------

WINDOW_RESOURCE_TYPE = Limit(
    "target resource type", "enum", "MaintenanceWindowResourceType", values=("INSTANCE", "RESOURCE_GROUP")
)
WINDOW_TARGET_ID = Limit("window target ID", "string", "MaintenanceWindowTargetId", 36, 36, _UUID_PATTERN)
OWNER_INFORMATION = Limit("owner information", "string", "OwnerInformation", 1, 128)
# Targets is the list of key/value pairs (so "at most 5 tag pairs"); TargetValues the values of one key.
TARGETS = Limit("target key/value pairs", "list", "Targets", 0, 5)
TARGET_VALUES = Limit("values of one target key", "list", "TargetValues", 0, 50)
TARGET_KEY = Limit(
    "target key",
    "string",
    "TargetKey",
    1,
    163,
    r"^[\p{L}\p{Z}\p{N}_.:/=\-@]*$|resource-groups:ResourceTypeFilters|resource-groups:Name",
    # [^\W_] is a Unicode letter or number (\p{L}\p{N}); the separators are spelled out.
    python_pattern=rf"(?:[^\W_]|[{_UNICODE_SEPARATORS}_.:/=\-@])*"
    r"|resource-groups:ResourceTypeFilters|resource-groups:Name",
    rule="letters, numbers, spaces and _ . : / = - @",
)
INSTANCE_ID = Limit("instance ID", "string", "InstanceId", aws_pattern=r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)",
                    rule="i- followed by 8 or 17 characters, or mi- followed by 17")

# --- RegisterTaskWithMaintenanceWindow ------------------------------------------------------------

TASK_TYPE = Limit(
    "task type", "enum", "MaintenanceWindowTaskType", values=("RUN_COMMAND", "AUTOMATION", "STEP_FUNCTIONS", "LAMBDA")
)
TASK_ARN = Limit("task ARN", "string", "MaintenanceWindowTaskArn", 1, 1600)
# A Run Command or Automation task's TaskArn is a document name or ARN. Maintenance windows do not check it
# when the task is registered ("Maintenance Window does not validate the TaskArn", MaintenanceWindowTask), but
# SendCommand and StartAutomationExecution refuse anything else when the window runs.
DOCUMENT_ARN = Limit("document name or ARN", "string", "DocumentARN", aws_pattern=r"^[a-zA-Z0-9_\-.:/]{3,128}$",
                     rule="3 to 128 letters, digits and _ - . : /")
TASK_PRIORITY = Limit("task priority", "integer", "MaintenanceWindowTaskPriority", 0)
TASK_CUTOFF_BEHAVIOR = Limit(
    "cutoff behavior", "enum", "MaintenanceWindowTaskCutoffBehavior", values=("CONTINUE_TASK", "CANCEL_TASK")
)
MAX_CONCURRENCY = Limit(
    "max concurrency", "string", "MaxConcurrency", 1, 7, r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$",
    rule="a number of targets from 1, or a percentage from 1% to 100%",
)
MAX_ERRORS = Limit(
    "max errors", "string", "MaxErrors", 1, 7, r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$",
    rule="a number of errors from 0, or a percentage from 0% to 100%",
)
# The two patterns on their own, for callers that only match.
MAX_CONCURRENCY_PATTERN = MAX_CONCURRENCY.pattern
MAX_ERRORS_PATTERN = MAX_ERRORS.pattern
TASK_TARGETS = Limit("task target key/value pairs", "list", "Targets", 0, 5)
# Not in the model: a task may name at most 10 registered window targets (Systems Manager service quotas,
# "Maintenance Windows: targets per task", AWS General Reference; also in this project's shared notes).
TASK_WINDOW_TARGET_IDS = Limit(
    "window target IDs of one task", "list", None, max=10,
    source="AWS General Reference, Systems Manager endpoints and quotas: targets per task (10)",
)

# --- MaintenanceWindowRunCommandParameters --------------------------------------------------------

TIMEOUT_SECONDS = Limit("timeout in seconds", "integer", "TimeoutSeconds", 30, 2592000)
COMMENT = Limit("comment", "string", "Comment", max=100)
DOCUMENT_HASH = Limit("document hash", "string", "DocumentHash", max=256)
DOCUMENT_HASH_TYPE = Limit("document hash type", "enum", "DocumentHashType", values=("Sha256", "Sha1"))
DOCUMENT_VERSION = Limit(
    "document version", "string", "DocumentVersion", aws_pattern=r"([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)",
    rule="$LATEST, $DEFAULT or a version number from 1",
)
NOTIFICATION_EVENT = Limit(
    "notification event", "enum", "NotificationEvent",
    values=("All", "InProgress", "Success", "TimedOut", "Cancelled", "Failed"),
)
NOTIFICATION_TYPE = Limit("notification type", "enum", "NotificationType", values=("Command", "Invocation"))
CLOUDWATCH_LOG_GROUP_NAME = Limit("CloudWatch log group name", "string", "CloudWatchLogGroupName", 1, 512)
S3_KEY_PREFIX = Limit("S3 key prefix", "string", "S3KeyPrefix", max=500)
# The model only bounds the length (3-63); the rest is S3's bucket naming rules for general purpose
# buckets (Amazon S3 User Guide, "General purpose bucket naming rules"): lowercase letters, numbers, dots
# and hyphens; a letter or number first and last; no two adjacent periods; not an IP address; reserved
# prefixes xn--, sthree-, amzn-s3-demo- and suffixes -s3alias, --ol-s3, .mrap, --x-s3, --table-s3.
S3_BUCKET_NAME = Limit(
    "S3 bucket name", "string", "S3BucketName", 3, 63,
    python_pattern=(
        r"(?!xn--|sthree-|amzn-s3-demo-)"
        r"(?!.*\.\.)"
        r"(?!\d{1,3}(?:\.\d{1,3}){3}$)"
        r"(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)"
        r"[a-z0-9][a-z0-9.\-]*[a-z0-9]"
    ),
    rule=(
        "lowercase letters, numbers, dots and hyphens, starting and ending with a letter or number, "
        "no '..', not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix "
        "(-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)"
    ),
    source="Amazon S3 User Guide, General purpose bucket naming rules",
)

# --- MaintenanceWindowAutomationParameters --------------------------------------------------------

AUTOMATION_PARAMETER_MAP = Limit("Automation parameters", "map", "AutomationParameterMap", 1, 200)
AUTOMATION_PARAMETER_KEY = Limit("Automation parameter name", "string", "AutomationParameterKey", 1, 50)
AUTOMATION_PARAMETER_VALUE_LIST = Limit(
    "values of one Automation parameter", "list", "AutomationParameterValueList", 0, 50
)
AUTOMATION_PARAMETER_VALUE = Limit("Automation parameter value", "string", "AutomationParameterValue", 1, 512)

# --- MaintenanceWindowLambdaParameters ------------------------------------------------------------

# A blob in the model, so its 4096 are bytes: measured on the UTF-8 encoding of the JSON text.
LAMBDA_PAYLOAD = Limit("Lambda payload", "blob", "MaintenanceWindowLambdaPayload", max=4096)
LAMBDA_CLIENT_CONTEXT = Limit("Lambda client context", "string", "MaintenanceWindowLambdaClientContext", 1, 8000)
LAMBDA_QUALIFIER = Limit("Lambda qualifier", "string", "MaintenanceWindowLambdaQualifier", 1, 128)

# --- MaintenanceWindowStepFunctionsParameters -----------------------------------------------------

# A string in the model, so its 4096 are characters (the API reference says "Maximum length of 4096").
STEP_FUNCTIONS_INPUT = Limit("Step Functions input", "string", "MaintenanceWindowStepFunctionsInput", max=4096)
# The model bounds the length (1-80); the characters are Step Functions' StartExecution rules for an
# execution name, which is what this value becomes (AWS Step Functions API Reference, StartExecution,
# "name": no white space, brackets, wildcards, special or control characters).
STEP_FUNCTIONS_NAME = Limit(
    "Step Functions execution name", "string", "MaintenanceWindowStepFunctionsName", 1, 80,
    python_pattern="[^\\s<>{}\\[\\]?*\"#%\\\\^|~`$&,;:/\\x00-\\x1f\\x7f-\\x9f]+",
    rule="no white space, brackets < > { } [ ], wildcards ? *, special characters \" # % \\ ^ | ~ ` $ & , ; : / "
    "or control characters",
    source="AWS Step Functions API Reference, StartExecution: name",
)

# --- CreatePatchBaseline / RegisterPatchBaselineForPatchGroup -------------------------------------

BASELINE_NAME = Limit("patch baseline name", "string", "BaselineName", 3, 128, _NAME_PATTERN)
BASELINE_DESCRIPTION = Limit("patch baseline description", "string", "BaselineDescription", 1, 1024)
OPERATING_SYSTEM = Limit(
    "operating system", "enum", "OperatingSystem",
    values=("WINDOWS", "AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "UBUNTU", "REDHAT_ENTERPRISE_LINUX",
            "SUSE", "CENTOS", "ORACLE_LINUX", "DEBIAN", "MACOS", "RASPBIAN", "ROCKY_LINUX", "ALMA_LINUX",
            "AMAZON_LINUX_2023"),
)
PATCH_RULES = Limit("approval rules", "list", "PatchRuleList", 0, 10)
APPROVE_AFTER_DAYS = Limit("days before approval", "integer", "ApproveAfterDays", 0, 360)
PATCH_COMPLIANCE_LEVEL = Limit(
    "compliance level", "enum", "PatchComplianceLevel",
    values=("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"),
)
# A list of {Key, Values} in the API; callers may pass the filters keyed by filter key (check() counts a
# mapping's entries for a list limit).
PATCH_FILTERS = Limit("patch filters", "list", "PatchFilterList", 0, 4)
PATCH_FILTER_KEY = Limit(
    "patch filter key", "enum", "PatchFilterKey",
    values=("ARCH", "ADVISORY_ID", "BUGZILLA_ID", "PATCH_SET", "PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION",
            "CVE_ID", "EPOCH", "MSRC_SEVERITY", "NAME", "PATCH_ID", "SECTION", "PRIORITY", "REPOSITORY", "RELEASE",
            "SEVERITY", "SECURITY", "VERSION"),
)
PATCH_FILTER_VALUES = Limit("patch filter values", "list", "PatchFilterValueList", 1, 20)
PATCH_ID_LIST = Limit("patch IDs", "list", "PatchIdList", 0, 50)
PATCH_ACTION = Limit("rejected patches action", "enum", "PatchAction", values=("ALLOW_AS_DEPENDENCY", "BLOCK"))
PATCH_GROUP = Limit(
    "patch group", "string", "PatchGroup", 1, 256, r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
    python_pattern=rf"(?:[^\W_]|[{_UNICODE_SEPARATORS}_.:/=+\-@])*",
    rule="letters, numbers, spaces and _ . : / = + - @",
)


# --- Tags (AddTagsToResource and every SSM create call) -------------------------------------------

# [^\W_] is a Unicode letter or number (\p{L}\p{N}); control and format characters (NUL, U+200B) are neither.
TAG_KEY = Limit(
    "tag key", "string", "TagKey", 1, 128, r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
    python_pattern=rf"(?:[^\W_]|[{_UNICODE_SEPARATORS}_.:/=+\-@])*",
    rule="letters, numbers, spaces and _ . : / = + - @",
)
TAG_VALUE = Limit(
    "tag value", "string", "TagValue", 0, 256, r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
    python_pattern=rf"(?:[^\W_]|[{_UNICODE_SEPARATORS}_.:/=+\-@])*",
    rule="letters, numbers, spaces and _ . : / = + - @",
)
# An EC2 tag key has at most 128 characters (EC2 API Reference, Tag: Key), so a target's tag condition on a
# longer key can never match an instance, though SSM's TargetKey (tag:<key>) would take 163.
EC2_TAG_KEY = Limit("EC2 tag key", "string", None, 1, 128, source="Amazon EC2 API Reference, Tag: Key (128 "
                                                                    "Unicode characters)")

# --- IAM and S3 values the program passes on -------------------------------------------------------

# CreateRole's PermissionsBoundary is an arnType (20-2048) naming a managed policy, AWS's own (account "aws")
# or the customer's (IAM User Guide, "Permissions boundaries for IAM entities"; policy ARNs in "IAM identifiers").
IAM_POLICY_ARN = Limit(
    "IAM managed policy ARN", "string", None, 20, 2048,
    python_pattern=r"arn:aws(?:-[a-z]+)*:iam::(?:[0-9]{12}|aws):policy(?:/[A-Za-z0-9.,+@=_-]+)*/[A-Za-z0-9+=,.@_-]{1,128}",
    rule="arn:<partition>:iam::<account or aws>:policy/<path/><name>",
    source="IAM API Reference, CreateRole: PermissionsBoundary; IAM User Guide, permissions boundaries",
)
# Lifecycle Expiration Days and NoncurrentVersionExpiration NoncurrentDays: "a non-zero positive integer"
# (S3 API Reference); the model gives no maximum, and its integer type is 32-bit.
S3_LIFECYCLE_DAYS = Limit("lifecycle days", "integer", None, 1, INT32_MAX,
                          source="Amazon S3 API Reference, LifecycleExpiration: Days (a non-zero positive integer)")

# --- CloudWatch Logs PutRetentionPolicy -----------------------------------------------------------

# The values RetentionInDays accepts (CloudWatch Logs API Reference, PutRetentionPolicy); not an SSM shape.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)
