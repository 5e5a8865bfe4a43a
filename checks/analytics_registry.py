"""All checks on the analytics tables."""

from checks.actions_checks import ACTION_CHECKS
from checks.churn_checks import CHURN_CHECKS
from checks.clusters_checks import CLUSTER_CHECKS
from checks.cohorts_checks import COHORT_CHECKS
from checks.key_accounts_checks import KEY_ACCOUNT_CHECKS
from checks.kpis_checks import KPI_CHECKS
from checks.lifecycle_checks import LIFECYCLE_CHECKS
from checks.recommendations_checks import RECOMMENDATION_CHECKS
from checks.rfm_checks import RFM_CHECKS

ANALYTICS_CHECKS = [*RFM_CHECKS, *CLUSTER_CHECKS, *KEY_ACCOUNT_CHECKS, *LIFECYCLE_CHECKS, *COHORT_CHECKS, *KPI_CHECKS,
                    *CHURN_CHECKS, *ACTION_CHECKS,
                    *RECOMMENDATION_CHECKS]
