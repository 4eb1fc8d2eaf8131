package identity

// GCP resource identity table.
//
// Every GCP resource has one canonical id in driftwarden: its Cloud Asset
// Inventory full resource name (//compute.googleapis.com/projects/p/global/
// firewalls/fw, //storage.googleapis.com/my-bucket). Each GCPType row says
// how the three other names of the same resource map to it:
//
//   - the Terraform id attribute of the google provider (TerraformIDs,
//     patterns such as "projects/{project}/global/firewalls/{name}" or just
//     "{name}" for buckets), with Attrs naming the Terraform attributes that
//     fill the pattern's variables when the id alone does not;
//   - the Cloud Audit Logs protoPayload.resourceName (AuditNames, e.g.
//     "projects/_/buckets/{name}"); variables absent from the resource name
//     (DNS logs "managedZones/z" without the project) are taken from the
//     LogEntry's resource.labels (project_id, zone, location, region);
//   - the CAI asset type and full name (AssetType, CAIName).
//
// Patterns are "/"-separated segments; "{var}" matches exactly one
// segment. Methods lists the audit methodNames (version prefixes such as
// "v1."/"beta." of compute methods removed) that mutate the resource, with
// the Terraform attributes each changes where that is known (nil = any).
//
// IAM resources (google_*_iam_policy, _binding, _member) have no CAI name of
// their own: their canonical ids are the parent's canonical id followed by
// "/iamPolicy", "/iamPolicy/<role>" (binding) and
// "/iamPolicy/<role>/members/<member>" (member). A binding with an IAM
// condition inserts "/conditions/<key>" after the role (see
// GCPIAMCondition.Key), so conditional bindings of one role, and a role's
// conditional and unconditional bindings, have distinct ids; unconditional
// ids do not change. The member is spelled as the google provider keys it
// (GCPNormalizeIAMMember: value lower-cased except for case-sensitive
// identifiers). An audit SetIamPolicy event names the parent and
// parent+"/iamPolicy" (GCPAuditResources), which is a prefix of every
// binding and member id of that parent; when the entry carries the
// policy delta (serviceData.policyDelta.bindingDeltas and the like, see
// gcpBindingDeltas), GCPAuditResources also names the binding and member
// ids of each delta, so that google_*_iam_binding and _iam_member
// resources get the event.
//
// Folders and the organisation are named by number, as CAI, Terraform and
// the audit logs all name them (//cloudresourcemanager.googleapis.com/
// folders/123, organizations/456). The organisation's row is a data source
// (DataSource: Terraform only reads it) kept for its IAM rows; both rows
// are OrgLevel: only a listing of the organisation holds them all. A
// google_folder_iam_* or google_organization_iam_* resource passed without
// its folder or org_id attribute is named from its Terraform id, whose
// parent part precedes the role (gcpIAMParentFromID).
//
// Service accounts are keyed by email, as Terraform and the CAI collector
// name them. IAM audit entries often name one by its numeric unique id
// (resourceName "projects/-/serviceAccounts/1123..."); GCPAuditResources
// then takes the email from the entry (resource.labels.email_id of a
// service_account LogEntry, or request/response/authorizationInfo names)
// and the project from resource.labels.project_id.
//
// Known limits: Cloud SQL, service-account and project names in CAI use the
// project id here; CAI itself names projects by number
// (//cloudresourcemanager.googleapis.com/projects/123) and service accounts
// by unique id, so the CAI collector re-keys those assets from their
// resource data (projectId, email). An audit entry that carries a service
// account's unique id and no email anywhere gets the id
// //iam.googleapis.com/projects/<project>/serviceAccounts/<uniqueId> (CAI's
// own name), which matches no Terraform or re-keyed CAI resource: there is
// no alias between unique id and email (Terraform state has unique_id and
// CAI data uniqueId, but resources carry one id). A Cloud Run v1 audit
// resourceName (namespaces/p/services/s) has no location; it comes from
// resource.labels.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// GCPOp is what a method does to the resource.
type GCPOp string

// GCP method operations.
const (
	GCPCreate GCPOp = "create"
	GCPUpdate GCPOp = "update"
	GCPDelete GCPOp = "delete"
	GCPSetIAM GCPOp = "set_iam_policy"
)

// GCPIAMKind says whether a row is an IAM resource and which.
type GCPIAMKind string

// IAM resource kinds.
const (
	GCPIAMNone    GCPIAMKind = ""
	GCPIAMPolicy  GCPIAMKind = "policy"
	GCPIAMBinding GCPIAMKind = "binding"
	GCPIAMMember  GCPIAMKind = "member"
)

// GCPMethod is one mutating audit method.
type GCPMethod struct {
	// Name is the methodName with any "v1."/"beta."/"alpha." prefix removed.
	Name string
	Op   GCPOp
	// Attributes are the Terraform attributes the method changes; nil means
	// unknown (any attribute may have changed).
	Attributes []string
}

// GCPType is one row of the GCP identity table.
type GCPType struct {
	Terraform string
	// AssetType is the CAI asset type (storage.googleapis.com/Bucket); for
	// IAM rows, the asset type whose IAM policy it is.
	AssetType string
	// Service is the audit log serviceName.
	Service string
	// CAIName is the pattern of the CAI full resource name (canonical id).
	CAIName string
	// AuditNames are patterns of protoPayload.resourceName.
	AuditNames []string
	// TerraformIDs are patterns of the google provider's id attribute.
	TerraformIDs []string
	// Attrs maps pattern variables to Terraform attributes used when the id
	// does not provide them.
	Attrs map[string]string
	// Methods mutating the resource.
	Methods []GCPMethod
	// IAM marks IAM rows; Parent is then the Terraform type whose policy it
	// is and ParentAttr the attribute naming that parent.
	IAM        GCPIAMKind
	Parent     string
	ParentAttr string
	// DataSource marks a type that Terraform only reads (google_organization
	// is a data source): no google_* resource manages it, so an inventory
	// never covers it and its assets are never unmanaged or missing. Its
	// row names the resource for its IAM rows and for audit entries.
	DataSource bool
	// OrgLevel marks a resource that lives above projects (a folder, the
	// organisation): a listing of projects never holds it, only one of the
	// organisation holds them all.
	OrgLevel bool
}

// Managed reports whether a google_* resource of Terraform manages
// resources of this row (every row but the data sources).
func (r *GCPType) Managed() bool { return !r.DataSource }

// Lists of commonly changed attributes.
var (
	gcpLabels = []string{"labels"}
)

func gcpCRUD(prefix, create, update, del string) []GCPMethod {
	var out []GCPMethod
	for _, m := range strings.Split(create, ",") {
		if m != "" {
			out = append(out, GCPMethod{Name: prefix + m, Op: GCPCreate})
		}
	}
	for _, m := range strings.Split(update, ",") {
		if m != "" {
			out = append(out, GCPMethod{Name: prefix + m, Op: GCPUpdate})
		}
	}
	for _, m := range strings.Split(del, ",") {
		if m != "" {
			out = append(out, GCPMethod{Name: prefix + m, Op: GCPDelete})
		}
	}
	return out
}

func gcpWith(ms []GCPMethod, extra ...GCPMethod) []GCPMethod { return append(ms, extra...) }

func gcpUpd(name string, attrs ...string) GCPMethod {
	return GCPMethod{Name: name, Op: GCPUpdate, Attributes: attrs}
}

// gcpFolderMethods lists the folder methods of one Resource Manager
// version (prefix "google.cloud.resourcemanager.v3.Folders.").
func gcpFolderMethods(prefix string) []GCPMethod {
	return gcpWith(gcpCRUD(prefix, "CreateFolder,UndeleteFolder", "", "DeleteFolder"),
		gcpUpd(prefix+"UpdateFolder", "display_name"),
		gcpUpd(prefix+"MoveFolder", "parent"))
}

func gcpSetIAMMethods(names ...string) []GCPMethod {
	out := make([]GCPMethod, len(names))
	for i, n := range names {
		out[i] = GCPMethod{Name: n, Op: GCPSetIAM}
	}
	return out
}

// gcpIAMRows builds the policy, binding and member rows of a parent type.
func gcpIAMRows(prefix, parent, parentAttr string, methods []GCPMethod) []GCPType {
	p := gcpByTerraformMust(parent)
	var out []GCPType
	for _, k := range []GCPIAMKind{GCPIAMPolicy, GCPIAMBinding, GCPIAMMember} {
		out = append(out, GCPType{
			Terraform: prefix + "_iam_" + string(k), AssetType: p.AssetType, Service: p.Service,
			CAIName: p.CAIName, AuditNames: p.AuditNames, Methods: methods,
			IAM: k, Parent: parent, ParentAttr: parentAttr, OrgLevel: p.OrgLevel,
		})
	}
	return out
}

var gcpBase = []GCPType{
	{
		Terraform: "google_storage_bucket", AssetType: "storage.googleapis.com/Bucket", Service: "storage.googleapis.com",
		CAIName: "//storage.googleapis.com/{name}", AuditNames: []string{"projects/_/buckets/{name}"},
		TerraformIDs: []string{"{name}"}, Attrs: map[string]string{"name": "name"},
		Methods: gcpWith(gcpCRUD("", "storage.buckets.create", "storage.buckets.update,storage.buckets.patch", "storage.buckets.delete")),
	},
	{
		Terraform: "google_compute_instance", AssetType: "compute.googleapis.com/Instance", Service: "compute.googleapis.com",
		CAIName:      "//compute.googleapis.com/projects/{project}/zones/{zone}/instances/{name}",
		AuditNames:   []string{"projects/{project}/zones/{zone}/instances/{name}"},
		TerraformIDs: []string{"projects/{project}/zones/{zone}/instances/{name}"},
		Attrs:        map[string]string{"project": "project", "zone": "zone", "name": "name"},
		Methods: gcpWith(gcpCRUD("compute.instances.", "insert", "update", "delete"),
			gcpUpd("compute.instances.setLabels", "labels"),
			gcpUpd("compute.instances.setMachineType", "machine_type"),
			gcpUpd("compute.instances.setMetadata", "metadata"),
			gcpUpd("compute.instances.setTags", "tags"),
			gcpUpd("compute.instances.setServiceAccount", "service_account"),
			gcpUpd("compute.instances.setDeletionProtection", "deletion_protection"),
			gcpUpd("compute.instances.setMinCpuPlatform", "min_cpu_platform"),
			gcpUpd("compute.instances.setScheduling", "scheduling"),
			gcpUpd("compute.instances.setShieldedInstanceIntegrityPolicy", "shielded_instance_config"),
			gcpUpd("compute.instances.updateShieldedInstanceConfig", "shielded_instance_config"),
			gcpUpd("compute.instances.attachDisk", "attached_disk"),
			gcpUpd("compute.instances.detachDisk", "attached_disk"),
			gcpUpd("compute.instances.addAccessConfig", "network_interface"),
			gcpUpd("compute.instances.deleteAccessConfig", "network_interface"),
			gcpUpd("compute.instances.updateNetworkInterface", "network_interface"),
			gcpUpd("compute.instances.stop", "desired_status", "current_status"),
			gcpUpd("compute.instances.start", "desired_status", "current_status"),
		),
	},
	{
		Terraform: "google_compute_disk", AssetType: "compute.googleapis.com/Disk", Service: "compute.googleapis.com",
		CAIName:      "//compute.googleapis.com/projects/{project}/zones/{zone}/disks/{name}",
		AuditNames:   []string{"projects/{project}/zones/{zone}/disks/{name}"},
		TerraformIDs: []string{"projects/{project}/zones/{zone}/disks/{name}"},
		Attrs:        map[string]string{"project": "project", "zone": "zone", "name": "name"},
		Methods: gcpWith(gcpCRUD("compute.disks.", "insert", "update", "delete"),
			gcpUpd("compute.disks.resize", "size"), gcpUpd("compute.disks.setLabels", gcpLabels...),
			gcpUpd("compute.disks.addResourcePolicies", "resource_policies"), gcpUpd("compute.disks.removeResourcePolicies", "resource_policies")),
	},
	{
		Terraform: "google_compute_firewall", AssetType: "compute.googleapis.com/Firewall", Service: "compute.googleapis.com",
		CAIName:      "//compute.googleapis.com/projects/{project}/global/firewalls/{name}",
		AuditNames:   []string{"projects/{project}/global/firewalls/{name}"},
		TerraformIDs: []string{"projects/{project}/global/firewalls/{name}"},
		Attrs:        map[string]string{"project": "project", "name": "name"},
		Methods:      gcpCRUD("compute.firewalls.", "insert", "patch,update", "delete"),
	},
	{
		Terraform: "google_compute_network", AssetType: "compute.googleapis.com/Network", Service: "compute.googleapis.com",
		CAIName:      "//compute.googleapis.com/projects/{project}/global/networks/{name}",
		AuditNames:   []string{"projects/{project}/global/networks/{name}"},
		TerraformIDs: []string{"projects/{project}/global/networks/{name}"},
		Attrs:        map[string]string{"project": "project", "name": "name"},
		Methods: gcpWith(gcpCRUD("compute.networks.", "insert", "patch,update", "delete"),
			gcpUpd("compute.networks.addPeering", "peering"), gcpUpd("compute.networks.removePeering", "peering"),
			gcpUpd("compute.networks.switchToCustomMode", "auto_create_subnetworks")),
	},
	{
		Terraform: "google_compute_subnetwork", AssetType: "compute.googleapis.com/Subnetwork", Service: "compute.googleapis.com",
		CAIName:      "//compute.googleapis.com/projects/{project}/regions/{region}/subnetworks/{name}",
		AuditNames:   []string{"projects/{project}/regions/{region}/subnetworks/{name}"},
		TerraformIDs: []string{"projects/{project}/regions/{region}/subnetworks/{name}"},
		Attrs:        map[string]string{"project": "project", "region": "region", "name": "name"},
		Methods: gcpWith(gcpCRUD("compute.subnetworks.", "insert", "patch", "delete"),
			gcpUpd("compute.subnetworks.expandIpCidrRange", "ip_cidr_range"),
			gcpUpd("compute.subnetworks.setPrivateIpGoogleAccess", "private_ip_google_access")),
	},
	{
		Terraform: "google_compute_router", AssetType: "compute.googleapis.com/Router", Service: "compute.googleapis.com",
		CAIName:      "//compute.googleapis.com/projects/{project}/regions/{region}/routers/{name}",
		AuditNames:   []string{"projects/{project}/regions/{region}/routers/{name}"},
		TerraformIDs: []string{"projects/{project}/regions/{region}/routers/{name}"},
		Attrs:        map[string]string{"project": "project", "region": "region", "name": "name"},
		Methods:      gcpCRUD("compute.routers.", "insert", "patch,update", "delete"),
	},
	{
		Terraform: "google_compute_address", AssetType: "compute.googleapis.com/Address", Service: "compute.googleapis.com",
		CAIName:      "//compute.googleapis.com/projects/{project}/regions/{region}/addresses/{name}",
		AuditNames:   []string{"projects/{project}/regions/{region}/addresses/{name}"},
		TerraformIDs: []string{"projects/{project}/regions/{region}/addresses/{name}"},
		Attrs:        map[string]string{"project": "project", "region": "region", "name": "name"},
		Methods:      gcpWith(gcpCRUD("compute.addresses.", "insert", "", "delete"), gcpUpd("compute.addresses.setLabels", gcpLabels...)),
	},
	{
		Terraform: "google_project", AssetType: "cloudresourcemanager.googleapis.com/Project", Service: "cloudresourcemanager.googleapis.com",
		CAIName: "//cloudresourcemanager.googleapis.com/projects/{project}", AuditNames: []string{"projects/{project}"},
		TerraformIDs: []string{"projects/{project}", "{project}"}, Attrs: map[string]string{"project": "project_id"},
		Methods: gcpCRUD("", "CreateProject", "UpdateProject", "DeleteProject"),
	},
	{
		// Folders change through Resource Manager v2 and v3 (the google
		// provider calls v3); CreateFolder, MoveFolder, DeleteFolder and
		// UndeleteFolder are long-running operations. DeleteFolder only
		// requests deletion: the folder stays, DELETE_REQUESTED, for 30
		// days and UndeleteFolder brings it back.
		Terraform: "google_folder", AssetType: "cloudresourcemanager.googleapis.com/Folder", Service: "cloudresourcemanager.googleapis.com",
		CAIName: "//cloudresourcemanager.googleapis.com/folders/{folder}", AuditNames: []string{"folders/{folder}"},
		TerraformIDs: []string{"folders/{folder}", "{folder}"}, Attrs: map[string]string{"folder": "name"},
		Methods: gcpWith(gcpFolderMethods("google.cloud.resourcemanager.v3.Folders."),
			gcpFolderMethods("google.cloud.resourcemanager.v2.Folders.")...),
		OrgLevel: true,
	},
	{
		// The organisation: Terraform reads it (data "google_organization")
		// and manages its IAM policy (google_organization_iam_*).
		Terraform: "google_organization", AssetType: "cloudresourcemanager.googleapis.com/Organization", Service: "cloudresourcemanager.googleapis.com",
		CAIName: "//cloudresourcemanager.googleapis.com/organizations/{org}", AuditNames: []string{"organizations/{org}"},
		TerraformIDs: []string{"organizations/{org}", "{org}"}, Attrs: map[string]string{"org": "name"},
		DataSource: true, OrgLevel: true,
	},
	{
		Terraform: "google_service_account", AssetType: "iam.googleapis.com/ServiceAccount", Service: "iam.googleapis.com",
		CAIName:      "//iam.googleapis.com/projects/{project}/serviceAccounts/{email}",
		AuditNames:   []string{"projects/{project}/serviceAccounts/{email}"},
		TerraformIDs: []string{"projects/{project}/serviceAccounts/{email}"},
		Attrs:        map[string]string{"project": "project", "email": "email"},
		Methods: gcpCRUD("google.iam.admin.v1.", "CreateServiceAccount,UndeleteServiceAccount", "UpdateServiceAccount,PatchServiceAccount,EnableServiceAccount,DisableServiceAccount",
			"DeleteServiceAccount"),
	},
	{
		Terraform: "google_service_account_key", AssetType: "iam.googleapis.com/ServiceAccountKey", Service: "iam.googleapis.com",
		CAIName:      "//iam.googleapis.com/projects/{project}/serviceAccounts/{email}/keys/{key}",
		AuditNames:   []string{"projects/{project}/serviceAccounts/{email}/keys/{key}"},
		TerraformIDs: []string{"projects/{project}/serviceAccounts/{email}/keys/{key}"},
		Methods:      gcpCRUD("google.iam.admin.v1.", "CreateServiceAccountKey,UploadServiceAccountKey", "DisableServiceAccountKey,EnableServiceAccountKey", "DeleteServiceAccountKey"),
	},
	{
		Terraform: "google_kms_key_ring", AssetType: "cloudkms.googleapis.com/KeyRing", Service: "cloudkms.googleapis.com",
		CAIName:      "//cloudkms.googleapis.com/projects/{project}/locations/{location}/keyRings/{name}",
		AuditNames:   []string{"projects/{project}/locations/{location}/keyRings/{name}"},
		TerraformIDs: []string{"projects/{project}/locations/{location}/keyRings/{name}"},
		Attrs:        map[string]string{"project": "project", "location": "location", "name": "name"},
		Methods:      gcpCRUD("", "CreateKeyRing", "", ""),
	},
	{
		Terraform: "google_kms_crypto_key", AssetType: "cloudkms.googleapis.com/CryptoKey", Service: "cloudkms.googleapis.com",
		CAIName:      "//cloudkms.googleapis.com/projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{name}",
		AuditNames:   []string{"projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{name}"},
		TerraformIDs: []string{"projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{name}"},
		Methods: gcpWith(gcpCRUD("", "CreateCryptoKey", "UpdateCryptoKey", ""),
			gcpUpd("UpdateCryptoKeyPrimaryVersion", "primary"),
			gcpUpd("CreateCryptoKeyVersion", "primary"),
			gcpUpd("DestroyCryptoKeyVersion", "primary")),
	},
	{
		Terraform: "google_sql_database_instance", AssetType: "sqladmin.googleapis.com/Instance", Service: "cloudsql.googleapis.com",
		CAIName:      "//cloudsql.googleapis.com/projects/{project}/instances/{name}",
		AuditNames:   []string{"projects/{project}/instances/{name}"},
		TerraformIDs: []string{"projects/{project}/instances/{name}", "{name}"},
		Attrs:        map[string]string{"project": "project", "name": "name"},
		Methods:      gcpCRUD("cloudsql.instances.", "create,clone", "update,patch", "delete"),
	},
	{
		Terraform: "google_container_cluster", AssetType: "container.googleapis.com/Cluster", Service: "container.googleapis.com",
		CAIName: "//container.googleapis.com/projects/{project}/locations/{location}/clusters/{name}",
		AuditNames: []string{"projects/{project}/locations/{location}/clusters/{name}",
			"projects/{project}/zones/{location}/clusters/{name}"},
		TerraformIDs: []string{"projects/{project}/locations/{location}/clusters/{name}"},
		Attrs:        map[string]string{"project": "project", "location": "location", "name": "name"},
		Methods: gcpWith(gcpCRUD("google.container.v1.ClusterManager.", "CreateCluster", "UpdateCluster,SetLegacyAbac,SetNetworkPolicy,SetMaintenancePolicy,SetLoggingService,SetMonitoringService,SetAddonsConfig,SetLocations,UpdateMaster,SetMasterAuth", "DeleteCluster"),
			gcpUpd("google.container.v1.ClusterManager.SetLabels", "resource_labels")),
	},
	{
		Terraform: "google_container_node_pool", AssetType: "container.googleapis.com/NodePool", Service: "container.googleapis.com",
		CAIName: "//container.googleapis.com/projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{name}",
		AuditNames: []string{"projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{name}",
			"projects/{project}/zones/{location}/clusters/{cluster}/nodePools/{name}"},
		TerraformIDs: []string{"projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{name}"},
		Attrs:        map[string]string{"project": "project", "location": "location", "cluster": "cluster", "name": "name"},
		Methods: gcpWith(gcpCRUD("google.container.v1.ClusterManager.", "CreateNodePool", "UpdateNodePool,SetNodePoolManagement", "DeleteNodePool"),
			gcpUpd("google.container.v1.ClusterManager.SetNodePoolSize", "node_count"),
			gcpUpd("google.container.v1.ClusterManager.SetNodePoolAutoscaling", "autoscaling")),
	},
	{
		Terraform: "google_pubsub_topic", AssetType: "pubsub.googleapis.com/Topic", Service: "pubsub.googleapis.com",
		CAIName:      "//pubsub.googleapis.com/projects/{project}/topics/{name}",
		AuditNames:   []string{"projects/{project}/topics/{name}"},
		TerraformIDs: []string{"projects/{project}/topics/{name}"},
		Attrs:        map[string]string{"project": "project", "name": "name"},
		Methods:      gcpCRUD("google.pubsub.v1.Publisher.", "CreateTopic", "UpdateTopic", "DeleteTopic"),
	},
	{
		Terraform: "google_pubsub_subscription", AssetType: "pubsub.googleapis.com/Subscription", Service: "pubsub.googleapis.com",
		CAIName:      "//pubsub.googleapis.com/projects/{project}/subscriptions/{name}",
		AuditNames:   []string{"projects/{project}/subscriptions/{name}"},
		TerraformIDs: []string{"projects/{project}/subscriptions/{name}"},
		Attrs:        map[string]string{"project": "project", "name": "name"},
		Methods: gcpWith(gcpCRUD("google.pubsub.v1.Subscriber.", "CreateSubscription", "UpdateSubscription", "DeleteSubscription"),
			gcpUpd("google.pubsub.v1.Subscriber.ModifyPushConfig", "push_config")),
	},
	{
		Terraform: "google_bigquery_dataset", AssetType: "bigquery.googleapis.com/Dataset", Service: "bigquery.googleapis.com",
		CAIName:      "//bigquery.googleapis.com/projects/{project}/datasets/{name}",
		AuditNames:   []string{"projects/{project}/datasets/{name}"},
		TerraformIDs: []string{"projects/{project}/datasets/{name}"},
		Attrs:        map[string]string{"project": "project", "name": "dataset_id"},
		Methods: gcpWith(gcpCRUD("google.cloud.bigquery.v2.DatasetService.", "InsertDataset", "UpdateDataset,PatchDataset", "DeleteDataset"),
			gcpCRUD("datasetservice.", "insert", "update,patch", "delete")...),
	},
	{
		Terraform: "google_cloud_run_service", AssetType: "run.googleapis.com/Service", Service: "run.googleapis.com",
		CAIName:      "//run.googleapis.com/projects/{project}/locations/{location}/services/{name}",
		AuditNames:   []string{"namespaces/{project}/services/{name}", "projects/{project}/locations/{location}/services/{name}"},
		TerraformIDs: []string{"locations/{location}/namespaces/{project}/services/{name}"},
		Attrs:        map[string]string{"project": "project", "location": "location", "name": "name"},
		Methods: gcpWith(gcpCRUD("google.cloud.run.v1.Services.", "CreateService", "ReplaceService", "DeleteService"),
			gcpCRUD("google.cloud.run.v2.Services.", "CreateService", "UpdateService", "DeleteService")...),
	},
	{
		Terraform: "google_cloud_run_v2_service", AssetType: "run.googleapis.com/Service", Service: "run.googleapis.com",
		CAIName:      "//run.googleapis.com/projects/{project}/locations/{location}/services/{name}",
		AuditNames:   []string{"projects/{project}/locations/{location}/services/{name}", "namespaces/{project}/services/{name}"},
		TerraformIDs: []string{"projects/{project}/locations/{location}/services/{name}"},
		Attrs:        map[string]string{"project": "project", "location": "location", "name": "name"},
		Methods: gcpWith(gcpCRUD("google.cloud.run.v2.Services.", "CreateService", "UpdateService", "DeleteService"),
			gcpCRUD("google.cloud.run.v1.Services.", "CreateService", "ReplaceService", "DeleteService")...),
	},
	{
		Terraform: "google_dns_managed_zone", AssetType: "dns.googleapis.com/ManagedZone", Service: "dns.googleapis.com",
		CAIName:      "//dns.googleapis.com/projects/{project}/managedZones/{name}",
		AuditNames:   []string{"projects/{project}/managedZones/{name}", "managedZones/{name}"},
		TerraformIDs: []string{"projects/{project}/managedZones/{name}"},
		Attrs:        map[string]string{"project": "project", "name": "name"},
		Methods:      gcpCRUD("dns.managedZones.", "create", "patch,update", "delete"),
	},
	{
		// Record sets also change through dns.changes.create on their
		// zone: that event names only the zone (managedZones/{name}), so
		// it is attributed to the google_dns_managed_zone; attribution
		// matches ids exactly, so the record sets it changed get no event
		// of their own (their ids start with the zone's).
		Terraform: "google_dns_record_set", AssetType: "dns.googleapis.com/ResourceRecordSet", Service: "dns.googleapis.com",
		CAIName:      "//dns.googleapis.com/projects/{project}/managedZones/{zone}/rrsets/{name}/{type}",
		AuditNames:   []string{"projects/{project}/managedZones/{zone}/rrsets/{name}/{type}"},
		TerraformIDs: []string{"projects/{project}/managedZones/{zone}/rrsets/{name}/{type}"},
		Attrs:        map[string]string{"project": "project", "zone": "managed_zone", "name": "name", "type": "type"},
		Methods:      gcpCRUD("dns.resourceRecordSets.", "create", "patch", "delete"),
	},
}

// GCPTypes is the table: one row per Terraform type.
var GCPTypes = func() []GCPType {
	rows := append([]GCPType(nil), gcpBase...)
	gcpIndex(rows)
	rows = append(rows, gcpIAMRows("google_storage_bucket", "google_storage_bucket", "bucket",
		gcpSetIAMMethods("storage.setIamPermissions", "SetIamPolicy"))...)
	rows = append(rows, gcpIAMRows("google_project", "google_project", "project",
		gcpSetIAMMethods("SetIamPolicy"))...)
	// Folders and the organisation: the provider calls Resource Manager v3
	// for folders and v1 (methodName "SetIamPolicy") for the organisation.
	rows = append(rows, gcpIAMRows("google_folder", "google_folder", "folder",
		gcpSetIAMMethods("google.cloud.resourcemanager.v3.Folders.SetIamPolicy", "google.cloud.resourcemanager.v2.Folders.SetIamPolicy", "SetIamPolicy"))...)
	rows = append(rows, gcpIAMRows("google_organization", "google_organization", "org_id",
		gcpSetIAMMethods("SetIamPolicy", "google.cloud.resourcemanager.v3.Organizations.SetIamPolicy"))...)
	rows = append(rows, gcpIAMRows("google_pubsub_topic", "google_pubsub_topic", "topic",
		gcpSetIAMMethods("google.iam.v1.IAMPolicy.SetIamPolicy", "SetIamPolicy"))...)
	rows = append(rows, gcpIAMRows("google_service_account", "google_service_account", "service_account_id",
		gcpSetIAMMethods("google.iam.admin.v1.SetIAMPolicy", "SetIamPolicy"))...)
	rows = append(rows, gcpIAMRows("google_kms_crypto_key", "google_kms_crypto_key", "crypto_key_id",
		gcpSetIAMMethods("SetIamPolicy"))...)
	gcpIndex(rows)
	return rows
}()

var (
	gcpByTF    map[string]*GCPType
	gcpByAsset map[string][]*GCPType
	gcpBySvc   map[string][]*GCPType
)

func gcpIndex(rows []GCPType) {
	gcpByTF = map[string]*GCPType{}
	gcpByAsset = map[string][]*GCPType{}
	gcpBySvc = map[string][]*GCPType{}
	for i := range rows {
		r := &rows[i]
		gcpByTF[r.Terraform] = r
		if r.IAM == GCPIAMNone {
			gcpByAsset[r.AssetType] = append(gcpByAsset[r.AssetType], r)
		}
		gcpBySvc[r.Service] = append(gcpBySvc[r.Service], r)
	}
}

func gcpByTerraformMust(t string) *GCPType {
	r := gcpByTF[t]
	if r == nil {
		panic("identity: no GCP row for " + t)
	}
	return r
}

// GCPByTerraform returns the row of a Terraform type.
func GCPByTerraform(typ string) (*GCPType, bool) {
	r, ok := gcpByTF[typ]
	return r, ok
}

// GCPByAssetType returns the (non-IAM) row of a CAI asset type. Where two
// Terraform types share one asset type (Cloud Run v1 and v2), the first
// row of the table is returned.
func GCPByAssetType(assetType string) (*GCPType, bool) {
	rs := gcpByAsset[assetType]
	if len(rs) == 0 {
		return nil, false
	}
	return rs[0], true
}

// GCPAssetTypes lists the CAI asset types of the table, sorted.
func GCPAssetTypes() []string {
	out := make([]string, 0, len(gcpByAsset))
	for t := range gcpByAsset {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// GCPNormalizeMethod removes the API version prefix compute methods carry
// (v1.compute.firewalls.insert, beta.compute..., alpha.compute...).
func GCPNormalizeMethod(method string) string {
	for _, p := range []string{"v1.", "beta.", "alpha."} {
		if strings.HasPrefix(method, p) {
			return method[len(p):]
		}
	}
	return method
}

// GCPIsSetIAM reports whether a method replaces an IAM policy.
func GCPIsSetIAM(method string) bool {
	m := method
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		m = m[i+1:]
	}
	return strings.EqualFold(m, "SetIamPolicy") || m == "setIamPermissions"
}

// GCPMethodOf finds the row and method of an audit (serviceName,
// methodName) pair acting on a resource of the given row. row may be nil:
// then every row of the service is searched.
func GCPMethodOf(row *GCPType, service, method string) (GCPMethod, bool) {
	m := GCPNormalizeMethod(method)
	rows := gcpBySvc[service]
	if row != nil {
		rows = []*GCPType{row}
	}
	for _, r := range rows {
		for _, x := range r.Methods {
			if x.Name == m || x.Name == method {
				return x, true
			}
		}
	}
	if GCPIsSetIAM(method) {
		return GCPMethod{Name: m, Op: GCPSetIAM}, true
	}
	return GCPMethod{}, false
}

// gcpMatch matches a "/"-separated name against a pattern; vars
// receives the values of {var} segments.
func gcpMatch(pattern, name string, vars map[string]string) bool {
	ps := strings.Split(pattern, "/")
	ns := strings.Split(name, "/")
	if len(ps) != len(ns) {
		return false
	}
	got := map[string]string{}
	for i, p := range ps {
		if len(p) > 2 && p[0] == '{' && p[len(p)-1] == '}' {
			if ns[i] == "" {
				return false
			}
			got[p[1:len(p)-1]] = ns[i]
			continue
		}
		if p != ns[i] {
			return false
		}
	}
	for k, v := range got {
		vars[k] = v
	}
	return true
}

// gcpRender fills a pattern; it fails when a variable is unknown.
func gcpRender(pattern string, vars map[string]string) (string, bool) {
	var b strings.Builder
	rest := pattern
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), true
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", false
		}
		v := vars[rest[i+1:i+j]]
		if v == "" || v == "-" || v == "_" && rest[i+1:i+j] == "project" {
			return "", false
		}
		b.WriteString(rest[:i])
		b.WriteString(v)
		rest = rest[i+j+1:]
	}
}

func gcpLastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func gcpStr(v any) string {
	s, _ := v.(string)
	return s
}

// varsFromTerraform collects pattern variables from a Terraform id and
// attributes.
func (r *GCPType) varsFromTerraform(attrs map[string]any) map[string]string {
	vars := map[string]string{}
	id := gcpStr(attrs["id"])
	for _, p := range r.TerraformIDs {
		if id != "" && gcpMatch(p, id, vars) {
			break
		}
	}
	for v, a := range r.Attrs {
		if vars[v] == "" {
			if s := gcpStr(attrs[a]); s != "" {
				vars[v] = gcpLastSegment(s)
			}
		}
	}
	return vars
}

// CanonicalFromTerraform returns the canonical id of a resource of this
// row from its Terraform attributes, or "" when they do not name it.
func (r *GCPType) CanonicalFromTerraform(attrs map[string]any) string {
	if r.IAM != GCPIAMNone {
		return r.iamCanonical(attrs)
	}
	vars := r.varsFromTerraform(attrs)
	s, ok := gcpRender(r.CAIName, vars)
	if !ok {
		return ""
	}
	return s
}

func (r *GCPType) iamCanonical(attrs map[string]any) string {
	parent := gcpByTF[r.Parent]
	pv := gcpStr(attrs[r.ParentAttr])
	if pv == "" {
		pv = gcpIAMParentFromID(gcpStr(attrs["id"]), r.IAM, gcpStr(attrs["role"]))
	}
	if parent == nil || pv == "" {
		return ""
	}
	var base string
	switch {
	case strings.HasPrefix(pv, "//"):
		base = pv
	default:
		pv = strings.TrimPrefix(pv, "b/")
		for _, p := range parent.TerraformIDs {
			vars := map[string]string{}
			if gcpMatch(p, pv, vars) {
				if vars["project"] == "" {
					vars["project"] = gcpStr(attrs["project"])
				}
				if s, ok := gcpRender(parent.CAIName, vars); ok {
					base = s
					break
				}
			}
		}
		if base == "" && r.Parent == "google_service_account" && strings.Contains(pv, "@") {
			// service_account_id may be the bare email.
			if s, ok := gcpRender(parent.CAIName, map[string]string{"project": gcpSAProject(pv), "email": pv}); ok {
				base = s
			}
		}
	}
	if base == "" {
		return ""
	}
	role, member := gcpStr(attrs["role"]), gcpStr(attrs["member"])
	cond := GCPIAMConditionOf(attrs["condition"])
	if cond.IsZero() {
		cond = gcpIAMConditionFromID(gcpStr(attrs["id"]), r.IAM, role, member)
	}
	return GCPIAMCanonicalWithCondition(base, r.IAM, role, member, cond)
}

// gcpIAMParentFromID returns the parent part of a google_*_iam_* Terraform
// id, for callers that pass the id but not the parent attribute (folder,
// org_id). The provider sets a policy's id to its resource's id, and a
// binding's and member's to "<resource>/<role>..." (older versions:
// "<resource> <role> ..."): the parent ends where "/<role>" or " <role>"
// first stands as whole segments.
func gcpIAMParentFromID(id string, kind GCPIAMKind, role string) string {
	if id == "" {
		return ""
	}
	if kind == GCPIAMPolicy {
		return id
	}
	if role == "" {
		return ""
	}
	for i := 1; i+len(role) < len(id); i++ {
		if id[i] != '/' && id[i] != ' ' || !strings.HasPrefix(id[i+1:], role) {
			continue
		}
		if end := i + 1 + len(role); end == len(id) || id[end] == '/' || id[end] == ' ' {
			return id[:i]
		}
	}
	return ""
}

// gcpSAProject is the project of a user-managed service account email
// (name@project.iam.gserviceaccount.com).
func gcpSAProject(email string) string {
	at := strings.IndexByte(email, '@')
	if at < 0 || !strings.HasSuffix(email, ".iam.gserviceaccount.com") {
		return ""
	}
	return strings.TrimSuffix(email[at+1:], ".iam.gserviceaccount.com")
}

// GCPIAMCondition is the IAM condition (google.type.Expr) of a binding:
// Terraform's condition block and CAI's bindings[].condition.
type GCPIAMCondition struct {
	Title       string
	Description string
	Expression  string
}

// IsZero reports whether there is no condition.
func (c GCPIAMCondition) IsZero() bool { return c == GCPIAMCondition{} }

// Key is the id segment of a condition: its title up to any "/", "~", and
// the first 12 hex digits of the SHA-256 of "title/description/expression"
// (the google provider's own condition key, which it appends to the
// Terraform id of a conditional binding or member). Two conditions differ
// in Key exactly when the provider tells them apart; a title is kept only
// up to its first "/" because the provider's id cannot say where a title
// with "/" ends. It is "" for no condition.
func (c GCPIAMCondition) Key() string {
	if c.IsZero() {
		return ""
	}
	return gcpConditionKey(c.Title + "/" + c.Description + "/" + c.Expression)
}

func gcpConditionKey(s string) string {
	title, _, _ := strings.Cut(s, "/")
	sum := sha256.Sum256([]byte(s))
	return title + "~" + hex.EncodeToString(sum[:6])
}

// GCPIAMConditionOf reads a condition as Terraform states and plans hold it
// (a list of one {title, description, expression} object) or as a CAI IAM
// policy binding holds it (one object). Absent, null or empty values give
// the zero condition.
func GCPIAMConditionOf(v any) GCPIAMCondition {
	switch t := v.(type) {
	case []any:
		if len(t) == 0 {
			return GCPIAMCondition{}
		}
		return GCPIAMConditionOf(t[0])
	case []map[string]any:
		if len(t) == 0 {
			return GCPIAMCondition{}
		}
		return GCPIAMConditionOf(t[0])
	case map[string]any:
		return GCPIAMCondition{Title: gcpStr(t["title"]), Description: gcpStr(t["description"]), Expression: gcpStr(t["expression"])}
	case map[string]string:
		return GCPIAMCondition{Title: t["title"], Description: t["description"], Expression: t["expression"]}
	}
	return GCPIAMCondition{}
}

// gcpIAMConditionFromID reads the condition of a google_*_iam_binding or
// _iam_member from its Terraform id, for callers that pass the id but not
// the condition block. The provider writes "<resource>/<role>" (binding) or
// "<resource>/<role>/<member>" (member, member lower-cased), followed for a
// conditional one by "/<title>/<description>/<expression>". Splitting that
// suffix at its first two "/" is lossless for Key, which joins the parts
// back.
func gcpIAMConditionFromID(id string, kind GCPIAMKind, role, member string) GCPIAMCondition {
	if id == "" || role == "" || kind != GCPIAMBinding && kind != GCPIAMMember {
		return GCPIAMCondition{}
	}
	if kind == GCPIAMMember && member == "" {
		return GCPIAMCondition{}
	}
	needle := "/" + role
	for from := 0; from < len(id); {
		i := strings.Index(id[from:], needle)
		if i < 0 {
			break
		}
		rest := id[from+i+len(needle):]
		from += i + 1
		if kind == GCPIAMMember {
			if len(rest) < 1+len(member) || rest[0] != '/' || !strings.EqualFold(rest[1:1+len(member)], member) {
				continue
			}
			rest = rest[1+len(member):]
		}
		if rest == "" {
			return GCPIAMCondition{} // unconditional
		}
		if rest[0] != '/' {
			continue
		}
		parts := strings.SplitN(rest[1:], "/", 3)
		if len(parts) != 3 {
			continue
		}
		return GCPIAMCondition{Title: parts[0], Description: parts[1], Expression: parts[2]}
	}
	return GCPIAMCondition{}
}

// GCPIAMCanonical builds the canonical id of an IAM policy, binding or
// member of the resource parent (a canonical id), for a binding without
// condition.
func GCPIAMCanonical(parent string, kind GCPIAMKind, role, member string) string {
	return GCPIAMCanonicalWithCondition(parent, kind, role, member, GCPIAMCondition{})
}

// GCPIAMCanonicalWithCondition builds the canonical id of an IAM policy,
// binding or member of the resource parent whose binding has the condition
// cond (zero: none, the ids of GCPIAMCanonical): "<parent>/iamPolicy/<role>
// /conditions/<cond.Key()>" and that followed by "/members/<member>", the
// member spelled by GCPNormalizeIAMMember. Both the Terraform side
// (condition block or id) and CAI (bindings[].condition, read with
// GCPIAMConditionOf) compute the same key.
func GCPIAMCanonicalWithCondition(parent string, kind GCPIAMKind, role, member string, cond GCPIAMCondition) string {
	binding := parent + "/iamPolicy/" + role
	if k := cond.Key(); k != "" {
		binding += "/conditions/" + k
	}
	switch kind {
	case GCPIAMPolicy:
		return parent + "/iamPolicy"
	case GCPIAMBinding:
		if role == "" {
			return ""
		}
		return binding
	case GCPIAMMember:
		if role == "" || member == "" {
			return ""
		}
		return binding + "/members/" + GCPNormalizeIAMMember(member)
	}
	return parent
}

// GCPCanonicalFromTerraform returns the canonical id (CAI full resource
// name) of a google_* resource from its Terraform attributes, or "" when the
// type is not in the table or its attributes do not name the resource.
func GCPCanonicalFromTerraform(typ string, attrs map[string]any) string {
	r, ok := gcpByTF[typ]
	if !ok {
		return ""
	}
	return r.CanonicalFromTerraform(attrs)
}

// gcpLabelVars maps LogEntry resource.labels to pattern variables.
var gcpLabelVars = map[string]string{
	"project_id": "project", "zone": "zone", "location": "location", "region": "region",
	"cluster_name": "cluster", "bucket_name": "name",
}

// gcpCanonicalFromAudit converts an audit protoPayload.resourceName of a
// service to the canonical id, using labels (LogEntry resource.labels) for
// parts absent from the name. resourceName may be relative
// ("projects/p/global/firewalls/fw") or a full resource name
// ("//compute.googleapis.com/projects/p/global/firewalls/fw", whose host
// then names the service). It returns the matching row (nil when no row
// matched: the id is then the generic "//<service>/<resourceName>", or the
// full name as given).
//
// Where the name lacks a part (a service account's email) it reads the
// protoPayload (payload, may be nil) too.
func gcpCanonicalFromAudit(service, resourceName string, labels map[string]string, payload map[string]any) (string, *GCPType) {
	name := resourceName
	if !strings.HasPrefix(name, "//") {
		name = strings.TrimPrefix(name, "/")
	}
	if name == "" {
		return "", nil
	}
	if strings.HasPrefix(name, "//") {
		host, _, ok := gcpSplitFullName(name)
		if !ok {
			return name, nil
		}
		for _, r := range gcpRowsOfHost(host) {
			if s, ok := r.canonicalOfAuditName(name, labels, payload); ok {
				return s, r
			}
		}
		return name, nil
	}
	if service == "" {
		return "", nil
	}
	for _, r := range gcpBySvc[service] {
		if r.IAM != GCPIAMNone {
			continue
		}
		if s, ok := r.canonicalOfAuditName(name, labels, payload); ok {
			return s, r
		}
	}
	return "//" + service + "/" + name, nil
}

// gcpSplitFullName splits "//host/rest".
func gcpSplitFullName(name string) (host, rest string, ok bool) {
	after, found := strings.CutPrefix(name, "//")
	if !found {
		return "", "", false
	}
	host, rest, found = strings.Cut(after, "/")
	if !found || host == "" || rest == "" {
		return "", "", false
	}
	return host, rest, true
}

// gcpRowsOfHost returns the non-IAM rows whose CAI names have host, then
// those of the service named host.
func gcpRowsOfHost(host string) []*GCPType {
	var out []*GCPType
	seen := map[*GCPType]bool{}
	for i := range GCPTypes {
		r := &GCPTypes[i]
		if r.IAM == GCPIAMNone && strings.HasPrefix(r.CAIName, "//"+host+"/") {
			out = append(out, r)
			seen[r] = true
		}
	}
	for _, r := range gcpBySvc[host] {
		if r.IAM == GCPIAMNone && !seen[r] {
			out = append(out, r)
		}
	}
	return out
}

// canonicalOfAuditName matches a relative audit name, or a full name
// (against the CAI pattern, or "//host/" plus an audit pattern), to this
// row and renders its canonical id.
func (r *GCPType) canonicalOfAuditName(name string, labels map[string]string, payload map[string]any) (string, bool) {
	var pats []string
	if host, _, ok := gcpSplitFullName(name); ok {
		pats = append(pats, r.CAIName)
		for _, p := range r.AuditNames {
			pats = append(pats, "//"+host+"/"+p)
		}
	} else {
		pats = r.AuditNames
	}
	for _, p := range pats {
		vars := map[string]string{}
		if !gcpMatch(p, name, vars) {
			continue
		}
		if v := vars["project"]; v == "-" || v == "_" {
			// The "any project" wildcard (projects/-/serviceAccounts/...).
			delete(vars, "project")
		}
		for l, v := range gcpLabelVars {
			if vars[v] == "" && labels[l] != "" {
				vars[v] = labels[l]
			}
		}
		if vars["zone"] == "" && r.Terraform != "google_dns_record_set" {
			vars["zone"] = labels["location"]
		}
		if vars["location"] == "" {
			vars["location"] = gcpFirstNonEmpty(labels["location"], labels["zone"], labels["region"])
		}
		if _, ok := vars["email"]; ok {
			gcpResolveServiceAccount(vars, labels, payload)
		}
		if s, ok := gcpRender(r.CAIName, vars); ok {
			return s, true
		}
	}
	return "", false
}

// gcpResolveServiceAccount replaces a service account's unique id in
// vars["email"] by its email when the entry carries it, and fills a
// missing project from the entry's names or the email.
func gcpResolveServiceAccount(vars, labels map[string]string, payload map[string]any) {
	if uid := vars["email"]; !strings.Contains(uid, "@") {
		if e := gcpServiceAccountEmail(uid, labels, payload); e != "" {
			vars["email"] = e
		}
	}
	if vars["project"] == "" {
		vars["project"] = gcpFirstNonEmpty(gcpPayloadProject(payload), gcpSAProject(vars["email"]))
	}
}

// gcpServiceAccountEmail finds the email of the service account whose
// unique id is uid in an IAM audit entry: resource.labels.email_id of a
// service_account LogEntry (when its unique_id, if any, is uid), a
// ".../serviceAccounts/<email>" name in the request, response or
// authorizationInfo, or response.email / request.service_account.email.
func gcpServiceAccountEmail(uid string, labels map[string]string, payload map[string]any) string {
	if e := labels["email_id"]; strings.Contains(e, "@") && (labels["unique_id"] == "" || labels["unique_id"] == uid) {
		return e
	}
	if payload == nil {
		return ""
	}
	for _, n := range gcpPayloadNames(payload) {
		if e := gcpEmailInName(n); e != "" {
			return e
		}
	}
	req := gcpGet(payload, "request")
	for _, sa := range []any{gcpGet(payload, "response"), gcpGet(req, "service_account"), gcpGet(req, "serviceAccount")} {
		e := gcpStr(gcpGet(sa, "email"))
		u := gcpStr(gcpGet(sa, "unique_id"))
		if u == "" {
			u = gcpStr(gcpGet(sa, "uniqueId"))
		}
		if strings.Contains(e, "@") && (u == "" || u == uid) {
			return e
		}
	}
	return ""
}

// gcpPayloadNames lists the resource names an AuditLog carries besides
// resourceName: request.name, request.resource, request.service_account.name,
// response.name, authorizationInfo[].resource and
// authorizationInfo[].resourceAttributes.name.
func gcpPayloadNames(payload map[string]any) []string {
	if payload == nil {
		return nil
	}
	var out []string
	add := func(v any) {
		if s := gcpStr(v); s != "" {
			out = append(out, s)
		}
	}
	req, resp := gcpGet(payload, "request"), gcpGet(payload, "response")
	add(gcpGet(req, "name"))
	add(gcpGet(req, "resource"))
	add(gcpGet(gcpGet(req, "service_account"), "name"))
	add(gcpGet(gcpGet(req, "serviceAccount"), "name"))
	add(gcpGet(resp, "name"))
	if ai, ok := gcpGet(payload, "authorizationInfo").([]any); ok {
		for _, a := range ai {
			add(gcpGet(a, "resource"))
			add(gcpGet(gcpGet(a, "resourceAttributes"), "name"))
		}
	}
	return out
}

// gcpEmailInName returns E of ".../serviceAccounts/E[/...]" when E is an
// email.
func gcpEmailInName(name string) string {
	i := strings.Index(name, "serviceAccounts/")
	if i < 0 {
		return ""
	}
	e, _, _ := strings.Cut(name[i+len("serviceAccounts/"):], "/")
	if !strings.Contains(e, "@") {
		return ""
	}
	return e
}

// gcpPayloadProject returns P of the first "projects/P/..." name of the
// payload whose P is not a wildcard.
func gcpPayloadProject(payload map[string]any) string {
	for _, n := range gcpPayloadNames(payload) {
		i := strings.Index(n, "projects/")
		if i < 0 || i > 0 && n[i-1] != '/' {
			continue
		}
		p, _, _ := strings.Cut(n[i+len("projects/"):], "/")
		if p != "" && p != "-" && p != "_" {
			return p
		}
	}
	return ""
}

// gcpGet reads key of a JSON object, also under its other spelling
// (service_account / serviceAccount, any case), as audit payloads come
// with proto field names or JSON names depending on the exporter.
func gcpGet(v any, key string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if x, ok := m[key]; ok {
		return x
	}
	// Another spelling (snake_case, other case): the smallest such key, so
	// that an entry holding two spellings reads the same every time.
	want := gcpFoldKey(key)
	var best string
	var out any
	found := false
	for k, x := range m {
		if gcpFoldKey(k) == want && (!found || k < best) {
			best, out, found = k, x, true
		}
	}
	return out
}

func gcpFoldKey(k string) string {
	return strings.ToLower(strings.ReplaceAll(k, "_", ""))
}

func gcpFirstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// hasMethod reports whether the row lists method.
func (r *GCPType) hasMethod(method string) bool {
	m := GCPNormalizeMethod(method)
	for _, x := range r.Methods {
		if x.Name == m || x.Name == method {
			return true
		}
	}
	return false
}

// gcpMethodRow returns the non-IAM row of service owning method.
func gcpMethodRow(service, method string) *GCPType {
	for _, r := range gcpBySvc[service] {
		if r.IAM == GCPIAMNone && r.hasMethod(method) {
			return r
		}
	}
	return nil
}

// gcpResponseRow returns the row of the resource an entry's response may
// name besides its resourceName: the row owning a method that the matched
// row does not have (a create logged on the parent, of another type), or
// the matched row itself for a create method of its own (a folder created
// in a folder may log the parent folder). It is nil without a payload and
// for the other methods of the matched row.
func gcpResponseRow(row *GCPType, service, method string, payload map[string]any) *GCPType {
	if payload == nil {
		return nil
	}
	if row != nil && row.hasMethod(method) {
		if m, _ := GCPMethodOf(row, service, method); m.Op == GCPCreate {
			return row
		}
		return nil
	}
	return gcpMethodRow(service, method)
}

// gcpResponseResource returns the canonical id of the resource of row r
// that an audit entry's response names (response.name, the result of a
// finished long-running operation response.response.name, or for service
// accounts response.email): the resource a create method made when the
// entry's resourceName names its parent (CreateServiceAccount logs the
// project, CreateServiceAccountKey the service account, CreateFolder may
// log the parent organisation or folder).
func gcpResponseResource(r *GCPType, labels map[string]string, payload map[string]any) string {
	resp := gcpGet(payload, "response")
	for _, n := range []string{gcpStr(gcpGet(resp, "name")), gcpStr(gcpGet(gcpGet(resp, "response"), "name"))} {
		if n == "" {
			continue
		}
		if s, ok := r.canonicalOfAuditName(strings.TrimPrefix(n, "/"), labels, payload); ok {
			return s
		}
	}
	if e := gcpStr(gcpGet(resp, "email")); strings.Contains(e, "@") && strings.HasSuffix(r.CAIName, "/serviceAccounts/{email}") {
		if s, ok := r.canonicalOfAuditName("projects/-/serviceAccounts/"+e, labels, payload); ok {
			return s
		}
	}
	return ""
}

// GCPAuditResources returns the canonical ids an audit event touches: the
// resource itself, plus its "/iamPolicy" id (and, from a policy delta, the
// bindings and members) for IAM policy changes, with the matched row and
// method where known. resourceName may be relative or a full resource name
// ("//service.googleapis.com/..."). It reads the entry's protoPayload
// (payload, may be nil) where the resourceName alone does not
// name the resource as Terraform and CAI do:
//
//   - a service account (or key) named by its unique id
//     ("projects/-/serviceAccounts/1123...") is named by its email, found in
//     resource.labels.email_id or the request/response/authorizationInfo
//     names (see gcpServiceAccountEmail);
//   - a create method whose resourceName is the parent (CreateServiceAccount
//     logs "projects/p", CreateServiceAccountKey the service account,
//     CreateFolder the parent organisation or folder) also names the
//     created resource from response.name, the finished operation's
//     response.response.name (or response.email); when the parent matched
//     no row, that resource replaces it;
//   - a SetIamPolicy-like method names, after the resource and its
//     "/iamPolicy", the binding id (with its condition, if any) and the
//     member id of every binding delta the entry logs (ADD and REMOVE),
//     once each, in log order; without a delta only the first two.
func GCPAuditResources(service, method, resourceName string, labels map[string]string, payload map[string]any) (ids []string, row *GCPType, m GCPMethod, known bool) {
	id, row := gcpCanonicalFromAudit(service, resourceName, labels, payload)
	if id == "" {
		return nil, nil, GCPMethod{}, false
	}
	if service == "" {
		if host, _, ok := gcpSplitFullName(resourceName); ok {
			service = host
		}
	}
	ids = []string{id}
	if mr := gcpResponseRow(row, service, method, payload); mr != nil {
		if cid := gcpResponseResource(mr, labels, payload); cid != "" && cid != id {
			if row == nil {
				ids, row = []string{cid}, mr
			} else {
				ids = append(ids, cid)
			}
		}
	}
	m, known = GCPMethodOf(row, service, method)
	if !known && row != nil {
		m, known = GCPMethodOf(nil, service, method)
	}
	if GCPIsSetIAM(method) {
		ids = append(ids, ids[0]+"/iamPolicy")
		ids = gcpAppendDeltaIDs(ids, ids[0], gcpBindingDeltas(payload))
		m, known = GCPMethod{Name: GCPNormalizeMethod(method), Op: GCPSetIAM}, true
	}
	return ids, row, m, known
}

// gcpBindingDeltas returns the bindingDeltas of an IAM policy change, from
// wherever the entry's service logs them:
//
//   - protoPayload.serviceData.policyDelta (google.iam.v1.logging.AuditData:
//     Resource Manager, IAM, Cloud Storage, Pub/Sub, KMS and most services);
//   - protopayload_auditlog.servicedata_v1_iam.policyDelta (the same, as a
//     BigQuery log sink table names it);
//   - protoPayload.metadata.datasetChange / .tableChange (BigQuery's
//     BigQueryAuditMetadata), also from metadataJson, the string a BigQuery
//     sink table holds metadata in.
//
// The first place holding any delta wins; nil when there is none.
func gcpBindingDeltas(payload map[string]any) []any {
	if payload == nil {
		return nil
	}
	md := gcpGet(payload, "metadata")
	if _, ok := md.(map[string]any); !ok {
		if s := gcpStr(gcpGet(payload, "metadataJson")); s != "" {
			var v map[string]any
			if json.Unmarshal([]byte(s), &v) == nil {
				md = v
			}
		}
	}
	for _, v := range []any{
		gcpGet(gcpGet(gcpGet(payload, "serviceData"), "policyDelta"), "bindingDeltas"),
		gcpGet(gcpGet(gcpGet(payload, "servicedata_v1_iam"), "policyDelta"), "bindingDeltas"),
		gcpGet(gcpGet(md, "datasetChange"), "bindingDeltas"),
		gcpGet(gcpGet(md, "tableChange"), "bindingDeltas"),
	} {
		if ds, ok := v.([]any); ok && len(ds) > 0 {
			return ds
		}
	}
	return nil
}

// gcpAppendDeltaIDs appends to ids, without duplicates, the binding and
// member ids of parent that each binding delta ({action, role, member,
// condition}) touched, added or removed alike. A member logged as deleted
// ("deleted:user:a@x.example?uid=123", a principal deleted since it was
// granted) is named as Terraform names it ("user:a@x.example": the
// google_*_iam_member whose grant that was) and also as logged (the id the
// CAI collector gives the deleted member).
func gcpAppendDeltaIDs(ids []string, parent string, deltas []any) []string {
	if len(deltas) == 0 {
		return ids
	}
	seen := make(map[string]bool, len(ids)+2*len(deltas))
	for _, id := range ids {
		seen[id] = true
	}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, d := range deltas {
		role := gcpStr(gcpGet(d, "role"))
		if role == "" {
			continue
		}
		cond := GCPIAMConditionOf(gcpGet(d, "condition"))
		add(GCPIAMCanonicalWithCondition(parent, GCPIAMBinding, role, "", cond))
		member := gcpStr(gcpGet(d, "member"))
		if member == "" {
			continue
		}
		if live := gcpUndeletedMember(member); live != "" {
			add(GCPIAMCanonicalWithCondition(parent, GCPIAMMember, role, live, cond))
		}
		add(GCPIAMCanonicalWithCondition(parent, GCPIAMMember, role, member, cond))
	}
	return ids
}

// gcpUndeletedMember returns "TYPE:VALUE" of a deleted principal as IAM
// policies show it ("deleted:TYPE:VALUE?uid=N"), or "" for other members.
func gcpUndeletedMember(member string) string {
	rest, ok := strings.CutPrefix(member, "deleted:")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, "?uid=")
	if typ, v, ok := strings.Cut(rest, ":"); !ok || typ == "" || v == "" {
		return ""
	}
	return rest
}

// GCPNormalizeIAMMember spells an IAM member as the google provider keys
// it (its normalizeIamMemberCasing): IAM compares member values without
// case, so the value after "TYPE:" (after "deleted:TYPE:" for a deleted
// principal) is lower-cased, except for the case-sensitive allUsers,
// allAuthenticatedUsers and principal:, principalSet:,
// principalHierarchy: identifiers; the type is kept as is. Terraform
// (config spelling), CAI and audit logs (the API's spelling) then give one
// member id.
func GCPNormalizeIAMMember(member string) string {
	body, deleted := strings.CutPrefix(member, "deleted:")
	if gcpIAMMemberCaseSensitive(body) {
		return member
	}
	typ, v, ok := strings.Cut(body, ":")
	if !ok {
		return member
	}
	if lv := strings.ToLower(v); lv != v {
		body = typ + ":" + lv
		if deleted {
			return "deleted:" + body
		}
		return body
	}
	return member
}

func gcpIAMMemberCaseSensitive(member string) bool {
	return strings.Contains(member, "allAuthenticatedUsers") || strings.Contains(member, "allUsers") ||
		strings.HasPrefix(member, "principal:") || strings.HasPrefix(member, "principalSet:") ||
		strings.HasPrefix(member, "principalHierarchy:")
}

// String describes a row for test names and errors.
func (r *GCPType) String() string {
	return fmt.Sprintf("%s (%s)", r.Terraform, r.AssetType)
}
