# Package driftwarden.lib holds helpers shared by the built-in policies. It is
# not a policy (it has no deny rule), so it needs no METADATA. It is loaded
# even when the built-in policies are disabled, so user policies may import it.
package driftwarden.lib

# world_cidrs are the CIDR blocks that mean "anyone on the internet".
world_cidrs := {"0.0.0.0/0", "::/0"}

# name labels the resource under evaluation (input.resource, or the drifted
# resource input.drift.resource) for messages: its Terraform address when
# managed, else its canonical id.
#
# Performance note: pass scalars, not input.resource, to functions. OPA
# caches function results by argument hash, and hashing the resource object
# converts all of its attributes to AST values.
name := label(object.get(input.resource, "address", ""), object.get(input.resource, "id", "")) if {
	_ = input.resource
} else := label(object.get(input.drift.resource, "address", ""), object.get(input.drift.resource, "id", ""))

# label is address when it is a non-empty string, else id.
label(address, id) := address if {
	is_string(address)
	address != ""
} else := id

# inventory(typ) lists the cycle's resources of type typ, each
# {id, type, account, region, address, stack, attributes}: only types the
# policy declares in custom.inventory_types are supplied; [] when there are
# none (or when evaluated without an inventory). Tests supply one with
# `with data.driftwarden.inventory as {"aws_s3_account_public_access_block": [...]}`.
inventory(typ) := items if {
	items := data.driftwarden.inventory[typ]
} else := []

# inventory_item(typ, id) is the inventory entry of type typ with that
# canonical id (undefined when there is none): a lookup, where scanning
# inventory(typ) would cost a pass per resource evaluated. Inventories
# supplied in tests as lists only are searched.
inventory_item(typ, id) := item if {
	item := data.driftwarden.inventory_by_id[typ][id]
} else := item if {
	not data.driftwarden.inventory_by_id[typ]
	some item in inventory(typ)
	item.id == id
}
