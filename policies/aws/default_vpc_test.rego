package driftwarden.aws.default_vpc_test

import data.driftwarden.aws.default_vpc as policy

res(typ, attrs) := {"kind": "resource", "resource": {
	"id": "vpc-1", "type": typ, "address": sprintf("%s.main", [typ]), "region": "eu-west-1",
	"attributes": attrs,
}}

test_custom_vpc_allowed if {
	count(policy.deny) == 0 with input as res("aws_vpc", {"cidr_block": "10.0.0.0/16", "default": false})
}

test_default_vpc_observed_denied if {
	policy.deny == {"aws_vpc.main is the default VPC of eu-west-1"} with input as res("aws_vpc", {"cidr_block": "172.31.0.0/16", "default": true})
}

test_managed_default_vpc_denied if {
	count(policy.deny) == 1 with input as res("aws_default_vpc", {"cidr_block": "172.31.0.0/16"})
}

test_default_subnet_denied if {
	policy.deny == {"aws_default_subnet.main manages a default subnet (eu-west-1a)"} with input as res("aws_default_subnet", {"availability_zone": "eu-west-1a"})
}
