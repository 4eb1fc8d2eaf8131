package driftwarden.event.sg_opened_to_world_test

import data.driftwarden.event.sg_opened_to_world as policy

event(request, error_code) := {"kind": "event", "event": {
	"id": "e1", "source": "cloudtrail", "action": "ec2:AuthorizeSecurityGroupIngress", "error_code": error_code,
	"principal": {"id": "arn:aws:sts::123456789012:assumed-role/tester", "type": "AssumedRole", "person": "tester"},
	"request": request,
}}

perms(protocol, from, to, cidr) := {"groupId": "sg-1", "ipPermissions": {"items": [{
	"ipProtocol": protocol, "fromPort": from, "toPort": to, "groups": {},
	"ipRanges": {"items": [{"cidrIp": cidr, "description": "x"}]}, "ipv6Ranges": {}, "prefixListIds": {},
}]}}

# The panther-analysis "Security Group Modified" shape, from 127.0.0.1/32.
test_narrow_source_allowed if {
	count(policy.deny) == 0 with input as event(perms("tcp", 22, 22, "127.0.0.1/32"), "")
}

test_ssh_to_world_high if {
	policy.deny == {{"msg": "tester opened tcp port 22 of security group sg-1 to 0.0.0.0/0", "severity": "high"}} with input as event(perms("tcp", 22, 22, "0.0.0.0/0"), "")
}

test_https_to_world_medium if {
	some result in policy.deny with input as event(perms("tcp", 443, 443, "0.0.0.0/0"), "")
	result.severity == "medium"
}

test_all_traffic_ipv6_high if {
	policy.deny == {{"msg": "tester opened all traffic of security group sg-1 to ::/0", "severity": "high"}} with input as event(
		{"groupId": "sg-1", "ipPermissions": {"items": [{
			"ipProtocol": "-1", "ipRanges": {}, "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]},
		}]}},
		"",
	)
}

# The stratus-red-team detonation shape: top-level cidrIp, any /0.
test_top_level_cidr_denied if {
	policy.deny == {{"msg": "tester opened tcp port 22 of security group sg-003dc7f1f1c686164 to 208.236.235.254/0", "severity": "high"}} with input as event(
		{
			"cidrIp": "208.236.235.254/0", "fromPort": 22, "groupId": "sg-003dc7f1f1c686164",
			"ipPermissions": {}, "ipProtocol": "tcp", "toPort": 22,
		},
		"",
	)
}

test_failed_call_allowed if {
	count(policy.deny) == 0 with input as event(perms("tcp", 22, 22, "0.0.0.0/0"), "Client.UnauthorizedOperation")
}

test_other_action_allowed if {
	count(policy.deny) == 0 with input as {"kind": "event", "event": {"action": "ec2:RevokeSecurityGroupIngress", "principal": {"id": "x"}, "request": perms("tcp", 22, 22, "0.0.0.0/0")}}
}
