//! Every Railway GraphQL operation the action sends, each loaded from its own `.graphql` file
//! under `ops/` (validated in CI against Railway's real schema). Operations that use the shared
//! `DeploymentFields` (or `ServiceInstanceFields`) fragment carry its text too.

/// Query or mutation: decides whether a failed attempt may be repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    Query,
    Mutation,
}

#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// The operation's name as written in its file (sent as `operationName`).
    pub name: &'static str,
    pub text: &'static str,
    pub kind: OpKind,
}

macro_rules! op {
    ($const:ident, $name:literal, $kind:ident, $($file:literal),+) => {
        pub const $const: Operation = Operation {
            name: $name,
            text: concat!($(include_str!(concat!("ops/", $file)), "\n"),+),
            kind: OpKind::$kind,
        };
    };
}

op!(
    PROJECT_TOKEN,
    "ProjectToken",
    Query,
    "project_token.graphql",
    "service_instance_fields.graphql"
);
op!(
    DEPLOYMENT_TRIGGERS,
    "DeploymentTriggers",
    Query,
    "deployment_triggers.graphql"
);
op!(
    PROJECT,
    "Project",
    Query,
    "project.graphql",
    "service_instance_fields.graphql"
);
op!(
    SERVICE_INSTANCE,
    "ServiceInstance",
    Query,
    "service_instance.graphql",
    "service_instance_fields.graphql"
);
op!(
    DEPLOYMENTS,
    "Deployments",
    Query,
    "deployments.graphql",
    "deployment_fields.graphql"
);
op!(
    DEPLOYMENT,
    "Deployment",
    Query,
    "deployment.graphql",
    "deployment_fields.graphql"
);
op!(
    SERVICE_INSTANCE_DEPLOY,
    "ServiceInstanceDeployV2",
    Mutation,
    "service_instance_deploy.graphql"
);
op!(
    SERVICE_INSTANCE_DEPLOY_LATEST,
    "ServiceInstanceDeployLatestCommit",
    Mutation,
    "service_instance_deploy_latest_commit.graphql"
);
op!(
    SERVICE_INSTANCE_UPDATE,
    "ServiceInstanceUpdate",
    Mutation,
    "service_instance_update.graphql"
);
op!(
    DEPLOYMENT_EVENTS,
    "DeploymentEvents",
    Query,
    "deployment_events.graphql"
);
op!(
    DEPLOYMENT_LOGS,
    "DeploymentLogs",
    Query,
    "deployment_logs.graphql"
);
op!(VARIABLES, "Variables", Query, "variables.graphql");
op!(
    DEPLOYMENT_INSTANCES,
    "DeploymentInstances",
    Query,
    "deployment_instances.graphql"
);
op!(
    HTTP_METRICS_BY_STATUS,
    "HttpMetricsByStatus",
    Query,
    "http_metrics_by_status.graphql"
);
op!(
    DEPLOYMENT_ROLLBACK,
    "DeploymentRollback",
    Mutation,
    "deployment_rollback.graphql"
);
op!(
    DEPLOYMENT_CANCEL,
    "DeploymentCancel",
    Mutation,
    "deployment_cancel.graphql"
);
op!(
    PROJECT_ENVIRONMENTS,
    "ProjectEnvironments",
    Query,
    "project_environments.graphql"
);
op!(
    ENVIRONMENT_CREATE,
    "EnvironmentCreate",
    Mutation,
    "environment_create.graphql"
);
op!(
    ENVIRONMENT_SERVICE_INSTANCES,
    "EnvironmentServiceInstances",
    Query,
    "environment_service_instances.graphql"
);
op!(
    ENVIRONMENT_DELETE,
    "EnvironmentDelete",
    Mutation,
    "environment_delete.graphql"
);
op!(
    SERVICE_DOMAIN_CREATE,
    "ServiceDomainCreate",
    Mutation,
    "service_domain_create.graphql"
);

op!(
    ENVIRONMENT_VOLUMES,
    "EnvironmentVolumes",
    Query,
    "environment_volumes.graphql"
);
op!(
    VOLUME_BACKUP_CREATE,
    "VolumeInstanceBackupCreate",
    Mutation,
    "volume_backup_create.graphql"
);
op!(
    VOLUME_BACKUPS,
    "VolumeInstanceBackupList",
    Query,
    "volume_backups.graphql"
);
op!(
    WORKFLOW_STATUS,
    "WorkflowStatus",
    Query,
    "workflow_status.graphql"
);

impl Operation {
    /// How long one request of this operation may take, from connecting to the last byte of
    /// the answer. `environmentCreate` with `applyChangesInBackground: false` is given longer:
    /// whether Railway answers it before or after copying the source is not public (issue #923 of
    /// railwayapp/cli shows an environment existing before its copy completed), and a copy may
    /// take a minute or more; every other operation is expected to answer in seconds. A request past its deadline is an
    /// answer lost (the caller reads back what it did).
    pub fn deadline(&self) -> std::time::Duration {
        let secs = if self.name == ENVIRONMENT_CREATE.name {
            120
        } else {
            30
        };
        std::time::Duration::from_secs(secs)
    }
}

/// Subscriptions, sent over the websocket (`crate::railway::subscription`).
pub const DEPLOYMENT_STATUS_SUBSCRIPTION: &str = concat!(
    include_str!("ops/deployment_status.subscription.graphql"),
    "\n",
    include_str!("ops/deployment_fields.graphql")
);
/// A deployment's build logs, as Railway's CLI streams them.
pub const BUILD_LOGS_SUBSCRIPTION: &str = include_str!("ops/build_logs.subscription.graphql");
/// A deployment's deploy logs, as Railway's CLI streams them.
pub const DEPLOYMENT_LOGS_SUBSCRIPTION: &str =
    include_str!("ops/deployment_logs.subscription.graphql");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_environment_copy_gets_a_long_deadline() {
        assert_eq!(ENVIRONMENT_CREATE.deadline().as_secs(), 120);
        assert_eq!(PROJECT_ENVIRONMENTS.deadline().as_secs(), 30);
        assert_eq!(SERVICE_INSTANCE_DEPLOY.deadline().as_secs(), 30);
    }

    #[test]
    fn each_operation_is_named_as_in_its_file() {
        for op in [
            PROJECT_TOKEN,
            PROJECT,
            DEPLOYMENTS,
            DEPLOYMENT,
            SERVICE_INSTANCE_DEPLOY,
            SERVICE_INSTANCE_DEPLOY_LATEST,
            SERVICE_INSTANCE_UPDATE,
            DEPLOYMENT_EVENTS,
            DEPLOYMENT_LOGS,
            VARIABLES,
            DEPLOYMENT_ROLLBACK,
            DEPLOYMENT_CANCEL,
            DEPLOYMENT_INSTANCES,
            HTTP_METRICS_BY_STATUS,
            PROJECT_ENVIRONMENTS,
            ENVIRONMENT_CREATE,
            ENVIRONMENT_SERVICE_INSTANCES,
            ENVIRONMENT_DELETE,
            SERVICE_DOMAIN_CREATE,
            ENVIRONMENT_VOLUMES,
            VOLUME_BACKUP_CREATE,
            VOLUME_BACKUPS,
            WORKFLOW_STATUS,
        ] {
            let keyword = match op.kind {
                OpKind::Query => "query",
                OpKind::Mutation => "mutation",
            };
            assert!(
                op.text.contains(&format!("{keyword} {}", op.name)),
                "{} is not declared as a {keyword}",
                op.name
            );
        }
    }
}
