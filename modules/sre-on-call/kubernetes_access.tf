# A Kubernetes-reading scanner's access inside each cluster it inspects: an EKS access entry (iam.tf) maps
# its role to a Kubernetes group, and deploy/kubernetes/eks-scanner-clusterrole.yaml (applied by
# the cluster owner) binds that group to a get/list-only ClusterRole. No access policy is
# associated: AmazonEKSViewPolicy lacks the cluster-scoped kinds the scanner reads (nodes, PVs,
# storage and ingress classes, admission webhooks), and the ClusterRole states exactly what is read.

locals {
  kubernetes_access_entries = {
    for entry in flatten([
      for id, access in var.kubernetes_access : [
        for cluster in access.clusters : { id = id, cluster = cluster, group = access.kubernetes_group }
      ]
      if contains(keys(local.scanner_agents), id)
    ]) : "${entry.id}/${entry.cluster}" => entry
  }
}

check "kubernetes_access_agents" {
  assert {
    condition     = alltrue([for id in keys(var.kubernetes_access) : contains(keys(local.scanner_agents), id)])
    error_message = "kubernetes_access names agents that are not enabled scanners in config.yaml: ${join(", ", [for id in keys(var.kubernetes_access) : id if !contains(keys(local.scanner_agents), id)])}."
  }
}
