// Package identity maps cloud resource identities between the names each
// source uses for them: the Terraform resource type and attributes, the AWS
// Config / CloudFormation type, and the CloudTrail events that mutate them.
//
// The AWS table (Types in aws.go) is data: one row per Terraform type with
//
//   - Terraform and Config (AWS::EC2::SecurityGroup; also the CloudFormation
//     type) and the CloudTrail EventSource (ec2.amazonaws.com);
//   - ARN, the template of the canonical id built from a native id
//     ("arn:{partition}:ec2:{region}:{account}:security-group/{id}"). When
//     the Terraform resource exports an "arn" attribute the template builds
//     exactly that value, so model.Identity on the applied resource and
//     EventResources on an event name the same thing. Rows whose Terraform
//     type exports no "arn" have an empty template: their canonical id is
//     model.CanonicalID("aws", type, id) (aws/aws_nat_gateway/nat-0abc);
//   - IDAttributes, the Terraform attributes whose values (joined by "/")
//     form the native id {id}. For most rows that is "id" or "name"; rows
//     whose Terraform id cannot be derived from an event (policy
//     attachments, aws_security_group_rule) use a key of attributes instead
//     (role + policy_arn; security_group_id + type) and ResourceID must be
//     used on the applied resource to get the matching id;
//   - Events: for each group of event names, where the event carries the id
//     (Locators) and which Terraform attributes the event changes.
//
// Locators are small paths over the CloudTrail record:
// "requestParameters.groupId", "responseElements.instancesSet.items[].instanceId"
// ("[]" visits every element of an array), "resources" (resources[].ARN of
// this row's service), and "a + b" to join several values with "/"
// (roleName + policyArn). A "#last" suffix keeps the last "/"-separated
// segment of a URL (an SQS queue URL gives the queue name); "=literal"
// is a constant. Values that are already ARNs are used as they are.
//
// Known limits: IAM ARNs are built with the path "/" unless the event
// carries the full ARN (CreateRole's responseElements.role.arn); a Secrets
// Manager secret named (not ARN-addressed) in an event gets the ARN without
// its random six-character suffix (match it with SecretNameARN); an
// aws_s3_bucket_acl whose Terraform id carries ",acl" must be matched
// through ResourceID (key "bucket"), not model.Identity.
package identity
