"""Analytics layer: customer profiles, segments, grades, lifecycle, cohorts, KPIs and predictions."""

from assets.analytics.actions.asset import ACTION_ASSETS
from assets.analytics.churn.asset import CHURN_ASSETS
from assets.analytics.clusters.asset import CLUSTER_ASSETS
from assets.analytics.clv.asset import CLV_ASSETS
from assets.analytics.cohorts.asset import COHORT_ASSETS
from assets.analytics.customer_360.asset import CUSTOMER_360_ASSETS
from assets.analytics.key_accounts.asset import KEY_ACCOUNT_ASSETS
from assets.analytics.kpis.asset import KPI_ASSETS
from assets.analytics.lifecycle.asset import LIFECYCLE_ASSETS
from assets.analytics.recommendations.asset import RECOMMENDATION_ASSETS
from assets.analytics.rfm.asset import RFM_ASSETS

ANALYTICS_ASSETS = [
    *CUSTOMER_360_ASSETS,
    *RFM_ASSETS,
    *CLUSTER_ASSETS,
    *KEY_ACCOUNT_ASSETS,
    *LIFECYCLE_ASSETS,
    *COHORT_ASSETS,
    *KPI_ASSETS,
    *CLV_ASSETS,
    *CHURN_ASSETS,
    *ACTION_ASSETS,
    *RECOMMENDATION_ASSETS,
]
