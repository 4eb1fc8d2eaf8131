package driftwarden.lib

# Helpers for security group rules, IAM policy documents, events and plans.
# Functions take scalars or small values (a rule block, a JSON string), never
# input.resource (see the performance note on name in lib.rego).

# world_cidr is true for a CIDR block that admits every address: 0.0.0.0/0,
# ::/0, or any other /0 (AWS accepts 1.2.3.4/0 and it means the same).
world_cidr(cidr) if cidr in world_cidrs

world_cidr(cidr) if {
	is_string(cidr)
	endswith(cidr, "/0")
}

# all_protocols is true for the "every protocol" markers of AWS security
# group rules (-1) and Google firewalls (all).
all_protocols(protocol) if protocol in {"-1", -1, "all", "ALL"}

tcp(protocol) if protocol in {"tcp", "TCP", "6", 6}

# port_covered is true when an AWS rule with this protocol and port range
# admits TCP traffic to port. Ports are numbers, as in Terraform state.
port_covered(protocol, _, _, _) if all_protocols(protocol)

port_covered(protocol, from, to, port) if {
	tcp(protocol)
	is_number(from)
	is_number(to)
	from <= port
	port <= to
}

# all_ports is true when an AWS rule admits every port: all protocols, or
# TCP or UDP over the whole 0-65535 (or 1-65535) range.
all_ports(protocol, _, _) if all_protocols(protocol)

all_ports(protocol, from, to) if {
	protocol in {"tcp", "TCP", "6", 6, "udp", "UDP", "17", 17}
	is_number(from)
	is_number(to)
	from <= 1
	to >= 65535
}

# sg_world_ingress is the set of ingress rules of the AWS security group (or
# standalone rule) under evaluation whose source is the whole internet, as
# {protocol, from, to, cidr}. It is computed once per evaluation and shared by
# every policy that reads it.
sg_world_ingress contains r if {
	input.resource.type in {"aws_security_group", "aws_default_security_group"}
	some rule in input.resource.attributes.ingress
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some cidr in rule[field]
	is_string(cidr)
	endswith(cidr, "/0")
	r := sg_rule(rule.protocol, rule, cidr)
}

sg_world_ingress contains r if {
	input.resource.type == "aws_security_group_rule"
	rule := input.resource.attributes
	rule.type == "ingress"
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some cidr in rule[field]
	is_string(cidr)
	endswith(cidr, "/0")
	r := sg_rule(rule.protocol, rule, cidr)
}

sg_world_ingress contains r if {
	input.resource.type == "aws_vpc_security_group_ingress_rule"
	rule := input.resource.attributes
	some field in ["cidr_ipv4", "cidr_ipv6"]
	cidr := rule[field]
	is_string(cidr)
	endswith(cidr, "/0")
	r := sg_rule(rule.ip_protocol, rule, cidr)
}

sg_rule(protocol, rule, cidr) := {
	"protocol": protocol,
	"from": object.get(rule, "from_port", null),
	"to": object.get(rule, "to_port", null),
	"cidr": cidr,
}

# as_array turns a scalar-or-list IAM policy element into a list.
as_array(x) := x if {
	is_array(x)
} else := [x] if {
	not is_null(x)
} else := []

# statements parses an IAM policy document (a JSON string, as in Terraform
# state) and returns its statements as a list; [] when the document is
# empty, redacted or not valid JSON, so a bad document never errors.
statements(doc) := as_array(object.get(parsed, "Statement", [])) if {
	is_string(doc)
	json.is_valid(doc)
	parsed := json.unmarshal(doc)
	is_object(parsed)
} else := []

# public_principal is true for a statement Principal that means everyone.
public_principal(p) if p == "*"

public_principal(p) if {
	is_object(p)
	some aws in as_array(object.get(p, "AWS", []))
	aws == "*"
}

# restrictive_condition_keys narrow a public-principal statement to known
# callers or networks (compared lower-case).
restrictive_condition_keys := {
	"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce",
	"aws:sourceip", "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount",
	"aws:principalarn", "aws:userid", "aws:username", "aws:principalservicename",
	"s3:dataaccesspointaccount", "s3:dataaccesspointarn", "aws:calledvia",
}

# restricted is true when a statement's Condition narrows who may call it:
# a positive operator (StringEquals, ArnLike, IpAddress, ...) on one of the
# keys above. Negated operators (StringNotEquals, NotIpAddress, ...) admit
# everyone but the named callers, ...IfExists operators and Null pass when
# the key is absent (as it is for an anonymous caller from the internet), as
# do ForAllValues: operators, so none of them restricts.
restricted(stmt) if {
	some operator, block in object.get(stmt, "Condition", {})
	is_object(block)
	narrowing_operator(operator)
	some key, value in block
	lower(key) in restrictive_condition_keys
	not open_value(value)
}

narrowing_operator(operator) if {
	is_string(operator)
	op := lower(operator)
	not contains(op, "not")
	not endswith(op, "ifexists")
	not startswith(op, "forallvalues:")
	op != "null"
}

# A condition that admits the whole internet (aws:SourceIp 0.0.0.0/0)
# restricts nothing.
open_value(v) if open_scalar(v)

open_value(v) if {
	is_array(v)
	some x in v
	open_scalar(x)
}

open_scalar(v) if world_cidr(v)

open_scalar("*")

# event_succeeded is true when the event under evaluation is a successful
# call: failed calls (error_code set) change nothing and never violate.
event_succeeded if object.get(input.event, "error_code", "") in {"", null}

# actor labels who acted in an event: the person behind the principal when
# known, else the principal id.
actor := label(object.get(input.event.principal, "person", ""), object.get(input.event.principal, "id", ""))

# event_subject names what an event touched: its resources, else its action.
event_subject := concat(", ", resources) if {
	resources := object.get(input.event, "resources", [])
	count(resources) > 0
} else := input.event.action
