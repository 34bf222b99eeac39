"""Pulumi type tokens of the resources this project creates or judges: one place for every layer and the pack.

A token is ``<package>:<module>/<name>:<Type>`` (pulumi-aws 7's schema); the component tokens are this
project's own (``maintenance-windows:<module>:<Type>``). The engine stand-in, ``mw plan`` and the policy pack
read them from here; tests check each AWS token against pulumi-aws's Python SDK.
"""

from __future__ import annotations

STACK = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
AWS_PROVIDER = "pulumi:providers:aws"

# Systems Manager
MAINTENANCE_WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
MAINTENANCE_WINDOW_TARGET = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
MAINTENANCE_WINDOW_TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
PATCH_BASELINE = "aws:ssm/patchBaseline:PatchBaseline"
PATCH_GROUP = "aws:ssm/patchGroup:PatchGroup"

# IAM
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"

# S3
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"

# Lambda and Step Functions (what Lambda and Step Functions tasks invoke)
LAMBDA_FUNCTION = "aws:lambda/function:Function"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"

# SNS and CloudWatch Logs
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# This project's components.
SERVICE_ROLE_COMPONENT = "maintenance-windows:iam:ServiceRole"
PASS_ROLE_COMPONENT = "maintenance-windows:iam:PassRolePolicy"
WINDOW_COMPONENT = "maintenance-windows:ssm:MaintenanceWindow"
PATCH_BASELINE_COMPONENT = "maintenance-windows:ssm:PatchBaseline"
OUTPUT_BUCKET_COMPONENT = "maintenance-windows:s3:OutputBucket"
NOTIFICATION_TOPIC_COMPONENT = "maintenance-windows:sns:NotificationTopic"
LOG_GROUP_COMPONENT = "maintenance-windows:cloudwatch:OutputLogGroup"


def aws_tokens() -> dict[str, str]:
    """Every AWS resource token above, by constant name (the SDK test walks them)."""
    return {name: value for name, value in globals().items() if isinstance(value, str) and value.startswith("aws:")}
