"""Pulumi components for AWS Systems Manager Maintenance Windows.

- :class:`~components.service_role.ServiceRole`: the role Systems Manager assumes.
- :class:`~components.pass_role.PassRolePolicy`: lets admins pass exactly that role.
- :class:`~components.window.MaintenanceWindow`: a window with its targets and tasks.
"""

from mw_components.pass_role import PassRoleArgs, PassRolePolicy
from mw_components.service_role import ServiceRole, ServiceRoleArgs
from mw_components.target import ResourceGroup, TargetArgs
from mw_components.task import CloudWatchOutput, Notifications, OutputS3, TaskArgs
from mw_components.window import MaintenanceWindow, MaintenanceWindowArgs

__all__ = [
    "CloudWatchOutput",
    "MaintenanceWindow",
    "MaintenanceWindowArgs",
    "Notifications",
    "OutputS3",
    "PassRoleArgs",
    "PassRolePolicy",
    "ResourceGroup",
    "ServiceRole",
    "ServiceRoleArgs",
    "TargetArgs",
    "TaskArgs",
]
