"""Drives airtable-sim's webhook routes with pyairtable's own webhook API,
unchanged (issue 18): the schema, Base.add_webhook, a record created through
Table.create, the simulator's ping received on a local HTTP server and
checked by WebhookNotification.from_request, Base.webhooks, Webhook.payloads
and Webhook.extend_expiration. Prints one JSON object of what it saw.

usage: pyairtable_webhooks.py API_URL TOKEN BASE_ID TABLE_NAME
"""
import http.server
import json
import queue
import sys
import threading

from pyairtable import Api
from pyairtable.models import WebhookNotification

api_url, token, base_id, table_name = sys.argv[1:5]
pings = queue.Queue()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        pings.put((body, self.headers["X-Airtable-Content-MAC"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
notify_url = f"http://127.0.0.1:{server.server_address[1]}/notify"

api = Api(token, endpoint_url=api_url, retry_strategy=None)
base = api.base(base_id)
# A table that takes any field name lists the fields its records use.
base.table(table_name).create({"Email": "first@example.com", "Name": "First"})
table_schema = base.schema().table(table_name)
email_field = table_schema.field("Email")
created = base.add_webhook(notify_url, {
    "options": {
        "filters": {"dataTypes": ["tableData"], "recordChangeScope": table_schema.id},
        "includes": {"includeCellValuesInFieldIds": [email_field.id], "includePreviousCellValues": True},
    }
})
record = base.table(table_name).create({"Email": "pyairtable@example.com", "Name": "Py"})
body, mac = pings.get(timeout=20)
notification = WebhookNotification.from_request(body, mac, created.mac_secret_base64)
webhook = next(w for w in base.webhooks() if w.id == created.id)
payloads = list(webhook.payloads(cursor=1))
created_ids = [
    record_id
    for payload in payloads
    for table_id, changes in payload.changed_tables_by_id.items()
    for record_id in changes.created_records_by_id
]
emails = [
    changes.created_records_by_id[record_id].cell_values_by_field_id.get(email_field.id)
    for payload in payloads
    for changes in payload.changed_tables_by_id.values()
    for record_id in changes.created_records_by_id
]
before = webhook.expiration_time
webhook.extend_expiration()
after = next(w for w in base.webhooks() if w.id == created.id).expiration_time
print(json.dumps({
    "webhook_id": created.id,
    "notified_webhook_id": notification.webhook.id,
    "notified_base_id": notification.base.id,
    "record_id": record["id"],
    "created_record_ids": created_ids,
    "emails": emails,
    "cursor_for_next_payload": webhook.cursor_for_next_payload,
    "expiration_extended": after is not None and (before is None or after >= before),
}))
