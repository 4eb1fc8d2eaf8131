package driftwarden.lib_test

import data.driftwarden.lib

test_name_prefers_address if {
	lib.name == "aws_s3_bucket.logs" with input as {"resource": {"address": "aws_s3_bucket.logs", "id": "arn:aws:s3:::logs"}}
}

test_name_falls_back_to_id if {
	lib.name == "arn:aws:s3:::logs" with input as {"resource": {"address": "", "id": "arn:aws:s3:::logs"}}
	lib.name == "arn:aws:s3:::logs" with input as {"resource": {"id": "arn:aws:s3:::logs"}}
}

test_name_of_drifted_resource if {
	lib.name == "aws_iam_role.ci" with input as {"drift": {"resource": {"address": "aws_iam_role.ci", "id": "x"}}}
}

test_inventory_lists_the_type if {
	lib.inventory("aws_s3_bucket") == [{"id": "a"}] with data.driftwarden.inventory as {"aws_s3_bucket": [{"id": "a"}]}
}

test_inventory_empty_without_the_type if {
	lib.inventory("aws_s3_bucket") == [] with data.driftwarden.inventory as {"google_storage_bucket": []}
	lib.inventory("aws_s3_bucket") == []
}

test_inventory_item_by_id if {
	lib.inventory_item("aws_s3_bucket", "b") == {"id": "b", "n": 2} with data.driftwarden.inventory_by_id as {"aws_s3_bucket": {"a": {"id": "a", "n": 1}, "b": {"id": "b", "n": 2}}}
	not lib.inventory_item("aws_s3_bucket", "c") with data.driftwarden.inventory_by_id as {"aws_s3_bucket": {"a": {"id": "a"}}}
}

test_inventory_item_from_a_list if {
	lib.inventory_item("aws_s3_bucket", "b") == {"id": "b"} with data.driftwarden.inventory as {"aws_s3_bucket": [{"id": "a"}, {"id": "b"}]}
	not lib.inventory_item("aws_s3_bucket", "c") with data.driftwarden.inventory as {"aws_s3_bucket": [{"id": "a"}]}
	not lib.inventory_item("aws_s3_bucket", "a")
}
