package driftwarden.aws.ami_public_test

import data.driftwarden.aws.ami_public as policy

res(typ, attrs) := {"kind": "resource", "resource": {
	"id": "ami-1", "type": typ, "address": sprintf("%s.base", [typ]),
	"attributes": attrs,
}}

test_private_ami_allowed if {
	count(policy.deny) == 0 with input as res("aws_ami", {"name": "base", "public": false})
}

test_public_ami_denied if {
	policy.deny == {"aws_ami.base is a public image"} with input as res("aws_ami", {"name": "base", "public": true})
}

test_public_copy_denied if {
	count(policy.deny) == 1 with input as res("aws_ami_copy", {"public": true})
}

test_launch_permission_all_denied if {
	policy.deny == {`aws_ami_launch_permission.base makes image ami-0abc public (group "all")`} with input as res("aws_ami_launch_permission", {"image_id": "ami-0abc", "group": "all"})
}

test_launch_permission_account_allowed if {
	count(policy.deny) == 0 with input as res("aws_ami_launch_permission", {"image_id": "ami-0abc", "account_id": "111122223333", "group": ""})
}

test_public_image_from_instance_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "ami-1", "type": "aws_ami_from_instance", "address": "aws_ami_from_instance.x",
		"attributes": {"public": true},
	}}
}
