"""Small hand-made export files for tests, written the way real systems deliver them."""

from __future__ import annotations

from pathlib import Path


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    """Write a CSV export (values quoted when needed) in the given encoding."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def minimal_sales_inbox(inbox: Path) -> Path:
    """Only a sales export with the three required columns: customer id, order date, amount."""
    return write_csv(
        inbox / "sales" / "orders.csv",
        ["Customer ID", "Order Date", "Amount"],
        [
            ["C001", "2025-01-05", "100.00"],
            ["C001", "2025/3/7", "¥1,250.50"],
            ["C002", "2025年2月1日", "80元"],
            ["C003", "45700", "RMB 300"],
        ],
    )


def four_source_inbox(inbox: Path) -> None:
    """A few rows of every export kind, with Chinese headers, GBK and dirty values."""
    write_csv(
        inbox / "sales" / "orders.csv",
        ["Order ID", "Line No", "Customer Code", "Customer Name", "Order Date", "SKU", "Category",
         "Quantity", "Unit Price", "Discount", "Amount", "Channel", "Region", "Status"],
        [
            ["O1", "1", "C001", "杭州瑞达科技有限公司", "2025-01-05 10:00:00", "S1", "Tea", "2", "50", "0",
             "100", "Tmall", "华东", "completed"],
            ["O1", "2", "C001", "杭州瑞达科技有限公司", "2025-01-05 10:00:00", "S2", "Tea", "1", "30", "0",
             "30", "Tmall", "华东", "completed"],
            ["O2", "1", "C002", "北京远景物流有限公司", "2025/2/1", "S1", "Tea", "1", "50", "0", "¥50.00",
             "JD", "华北", "refunded"],
            ["O3", "1", "C002", "北京远景物流有限公司", "2025年3月1日", "S3", "Coffee", "3", "20", "0",
             "60", "JD", "华北", "completed"],
            ["O4", "1", "", "无名客户", "2025-03-02", "S3", "Coffee", "1", "20", "0", "20", "JD", "华北",
             "completed"],
        ],
    )
    write_csv(
        inbox / "crm" / "客户列表.csv",
        ["客户ID", "关联ERP编码", "联系人姓名", "公司名称", "行业", "人员规模", "区域", "手机", "邮箱",
         "创建时间", "线索来源", "负责人"],
        [
            ["FX-1", "C001", "张伟", "杭州瑞达科技有限公司", "制造业", "50-199", "华东", "+86 138-0013-8000",
             " Zhang.Wei@Example.com ", "2024年8月22日", "展会", "王芳"],
            ["FX-2", "C002", "李娜", "北京远景物流有限公司", "物流", "200-999", "华北", "13900139000",
             "lina@example.com", "2024/9/1", "官网", "王芳"],
            ["FX-3", "", "赵磊", "成都青木餐饮有限公司", "餐饮", "1-49", "西南", "", "zhaolei@example.com",
             "2025-01-10", "广告", "陈静"],
        ],
        encoding="gbk",
    )
    write_csv(
        inbox / "service" / "tickets.csv",
        ["Ticket ID", "Contact Phone", "Contact Email", "Created Time", "First Response Time",
         "Resolved Time", "Channel", "Category", "Priority", "Status", "CSAT Score"],
        [
            ["T1", "0086 138 0013 8000", "", "2025-02-01 09:00", "2025-02-01 10:00", "2025-02-02 09:00",
             "Phone", "Complaint", "High", "Resolved", "2"],
            ["T2", "", "LINA@example.com", "2025-02-03 09:00", "", "", "Email", "Inquiry", "Low", "Open", "7"],
        ],
    )
    write_csv(
        inbox / "email" / "email_events.csv",
        ["Email Address", "Campaign ID", "Event", "Timestamp"],
        [
            ["zhang.wei@example.com", "CMP1", "sent", "2025-02-01 08:00"],
            ["zhang.wei@example.com", "CMP1", "open", "2025-02-01 12:00"],
            ["stranger@example.com", "CMP1", "sent", "2025-02-01 08:00"],
        ],
    )
    write_csv(
        inbox / "email" / "campaigns.csv",
        ["Campaign ID", "Campaign Name", "Subject", "Send Time"],
        [["CMP1", "新春促销", "新年好礼", "2025-02-01 08:00"]],
    )
