"""Starts MiniStack (PyPI `ministack`, MIT) with one addition: a stand-in
for CloudTrail.

AWS delivers IAM's CloudTrail records to EventBridge as `aws.iam` events
("AWS API Call via CloudTrail"), and PutEvents refuses any `aws.*` source
from a caller, as AWS does. MiniStack records API calls for LookupEvents
(`CLOUDTRAIL_RECORDING=1`) but does not deliver them to EventBridge. So a
test that tampers with a role puts the CloudTrail record itself, and this
launcher lets PutEvents carry exactly that shape: every entry source
`aws.iam`, detail-type `AWS API Call via CloudTrail`. Everything else
about the event (the bus, the template's rule and its pattern, the
`anything-but` on Rolegate's own roles, the Lambda target) is MiniStack's.
docs/LOCAL-AWS.md lists this with the other departures from AWS.
"""

from ministack.app import main
from ministack.services import eventbridge

CLOUDTRAIL_SOURCE = "aws.iam"
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"

_put_events = eventbridge._put_events


def _put_events_with_cloudtrail(data, allow_aws_source=False):
    entries = data.get("Entries") or []
    cloudtrail = bool(entries) and all(
        e.get("Source") == CLOUDTRAIL_SOURCE and e.get("DetailType") == CLOUDTRAIL_DETAIL_TYPE
        for e in entries
    )
    return _put_events(data, allow_aws_source=allow_aws_source or cloudtrail)


eventbridge._put_events = _put_events_with_cloudtrail

if __name__ == "__main__":
    main()
