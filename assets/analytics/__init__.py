"""Analytics layer: customer profiles, segments, grades, lifecycle, cohorts, KPIs and predictions."""

from assets.analytics.actions import ACTION_ASSETS
from assets.analytics.churn import CHURN_ASSETS
from assets.analytics.clusters import CLUSTER_ASSETS
from assets.analytics.clv import CLV_ASSETS
from assets.analytics.cohorts import COHORT_ASSETS
from assets.analytics.customer_360 import CUSTOMER_360_ASSETS
from assets.analytics.key_accounts import KEY_ACCOUNT_ASSETS
from assets.analytics.kpis import KPI_ASSETS
from assets.analytics.lifecycle import LIFECYCLE_ASSETS
from assets.analytics.recommendations import RECOMMENDATION_ASSETS
from assets.analytics.rfm import RFM_ASSETS

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
