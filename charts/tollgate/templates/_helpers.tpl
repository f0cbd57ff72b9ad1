{{/* Names, labels and the shared pieces of the tollgate chart. */}}

{{- define "tollgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name if it already contains the chart name. */}}
{{- define "tollgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tollgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tollgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tollgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tollgate.labels" -}}
helm.sh/chart: {{ include "tollgate.chart" . }}
{{ include "tollgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: admission-webhook
{{- end }}

{{- define "tollgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tollgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag[@digest]; the tag is never empty, so the image is pinned. */}}
{{- define "tollgate.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag | toString }}
{{- if eq $tag "latest" }}
{{- fail "image.tag must not be \"latest\": tollgate's pinnedTags rule would refuse its own pods; use a version (and image.digest)" }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "tollgate.policyConfigMapName" -}}
{{- default (printf "%s-policy" (include "tollgate.fullname" .)) .Values.policy.existingConfigMap }}
{{- end }}

{{- define "tollgate.tlsSecretName" -}}
{{- if eq .Values.certs.mode "existingSecret" }}
{{- required "certs.existingSecret.name is required with certs.mode=existingSecret" .Values.certs.existingSecret.name }}
{{- else }}
{{- printf "%s-tls" (include "tollgate.fullname" .) }}
{{- end }}
{{- end }}

{{/* Namespaces the webhooks skip: the release namespace first, then the listed ones. */}}
{{- define "tollgate.excludedNamespaces" -}}
{{- $ns := list .Release.Namespace }}
{{- range .Values.webhook.excludeNamespaces }}
{{- if not (has . $ns) }}
{{- $ns = append $ns . }}
{{- end }}
{{- end }}
{{- toJson $ns }}
{{- end }}

{{/*
The generated CA and serving certificate (certs.mode=generate), made once per
render and memoized on the root context, because the Secret and both webhook
configurations need the same ones. On upgrade the existing Secret is reused
(lookup), so the caBundle the API server trusts does not change.
Result: .tollgateGeneratedCerts = {ca, crt, key}, each base64 PEM.
*/}}
{{- define "tollgate.generatedCerts" -}}
{{- if not (hasKey . "tollgateGeneratedCerts") }}
{{- $certs := dict }}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "tollgate.tlsSecretName" .) }}
{{- $data := dict }}
{{- if and $secret (hasKey $secret "data") }}
{{- $data = $secret.data }}
{{- end }}
{{- if and (hasKey $data "ca.crt") (hasKey $data "tls.crt") (hasKey $data "tls.key") }}
{{- $_ := set $certs "ca" (index $data "ca.crt") }}
{{- $_ := set $certs "crt" (index $data "tls.crt") }}
{{- $_ := set $certs "key" (index $data "tls.key") }}
{{- else }}
{{- $svc := include "tollgate.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $cn := printf "%s.%s.svc" $svc $ns }}
{{- $sans := list $svc (printf "%s.%s" $svc $ns) $cn (printf "%s.cluster.local" $cn) }}
{{- $days := int .Values.certs.generate.validityDays }}
{{- $ca := dict }}
{{- $cert := dict }}
{{- if eq .Values.certs.generate.keyAlgorithm "ecdsa" }}
{{- $ca = genCAWithKey (printf "%s-ca" $svc) $days (genPrivateKey "ecdsa") }}
{{- $cert = genSignedCertWithKey $cn nil $sans $days $ca (genPrivateKey "ecdsa") }}
{{- else }}
{{- $ca = genCA (printf "%s-ca" $svc) $days }}
{{- $cert = genSignedCert $cn nil $sans $days $ca }}
{{- end }}
{{- $_ := set $certs "ca" ($ca.Cert | b64enc) }}
{{- $_ := set $certs "crt" ($cert.Cert | b64enc) }}
{{- $_ := set $certs "key" ($cert.Key | b64enc) }}
{{- end }}
{{- $_ := set . "tollgateGeneratedCerts" $certs }}
{{- end }}
{{- end }}

{{/* The caBundle for a webhook's clientConfig, or nothing when cert-manager injects it. */}}
{{- define "tollgate.caBundle" -}}
{{- if .Values.webhook.url }}
{{- required "certs.caBundle (base64 PEM CA) is required with webhook.url" .Values.certs.caBundle }}
{{- else if eq .Values.certs.mode "generate" }}
{{- include "tollgate.generatedCerts" . }}
{{- .tollgateGeneratedCerts.ca }}
{{- else if eq .Values.certs.mode "existingSecret" }}
{{- required "certs.caBundle (base64 PEM CA) is required with certs.mode=existingSecret" .Values.certs.caBundle }}
{{- end }}
{{- end }}

{{- define "tollgate.certManagerCertificateName" -}}
{{- printf "%s-serving" (include "tollgate.fullname" .) }}
{{- end }}

{{/* clientConfig for one webhook; call with (dict "root" $ "path" "/validate"). */}}
{{- define "tollgate.clientConfig" -}}
{{- $root := .root }}
{{- if $root.Values.webhook.url }}
url: {{ printf "%s%s" (trimSuffix "/" $root.Values.webhook.url) .path | quote }}
{{- else }}
service:
  name: {{ include "tollgate.fullname" $root }}
  namespace: {{ $root.Release.Namespace }}
  path: {{ .path }}
  port: {{ $root.Values.service.port }}
{{- end }}
{{- $ca := include "tollgate.caBundle" $root }}
{{- if $ca }}
caBundle: {{ $ca }}
{{- end }}
{{- end }}

{{/* Settings both webhooks share: which namespaces and objects, and how they fail. */}}
{{- define "tollgate.webhookCommon" -}}
admissionReviewVersions: ["v1", "v1beta1"]
sideEffects: None
failurePolicy: {{ .Values.webhook.failurePolicy }}
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
matchPolicy: Equivalent
namespaceSelector:
  matchExpressions:
    # Opt-out label: works on every Kubernetes version.
    - key: {{ .Values.webhook.optOutLabel | quote }}
      operator: NotIn
      values: ["true"]
    # Name label, set automatically from Kubernetes 1.21 (absent before: see README).
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ include "tollgate.excludedNamespaces" . }}
    {{- with .Values.webhook.namespaceSelectorExpressions }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- with .Values.webhook.objectSelector }}
objectSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
What the webhooks match; call with (dict "root" $ "mutating" true|false).
A Pod's spec cannot change after creation (the image aside), so the API
server refuses any patch to it on UPDATE: mutating a Pod UPDATE (a label,
a finalizer, a controller adopting it) could only fail it. The mutating
webhook therefore sees Pods on CREATE only, and not the
pods/ephemeralcontainers subresource (UPDATE only) at all; the validating
webhook sees both on CREATE and UPDATE.
*/}}
{{- define "tollgate.webhookRules" -}}
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    {{- if .mutating }}
    operations: ["CREATE"]
    resources: ["pods"]
    {{- else }}
    operations: ["CREATE", "UPDATE"]
    resources: ["pods", "pods/ephemeralcontainers"]
    {{- end }}
    scope: Namespaced
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["replicationcontrollers", "podtemplates"]
    scope: Namespaced
  - apiGroups: ["apps"]
    apiVersions: ["*"]
    operations: ["CREATE", "UPDATE"]
    resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
    scope: Namespaced
  # batch/v1beta1 CronJobs before Kubernetes 1.21, batch/v1 after.
  - apiGroups: ["batch"]
    apiVersions: ["*"]
    operations: ["CREATE", "UPDATE"]
    resources: ["jobs", "cronjobs"]
    scope: Namespaced
{{- end }}

{{- define "tollgate.webhookAnnotations" -}}
{{- if and (not .Values.webhook.url) (eq .Values.certs.mode "certManager") }}
cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "tollgate.certManagerCertificateName" .) }}
{{- end }}
{{- with .Values.webhook.annotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The Lease that picks the one replica writing PolicyReports. */}}
{{- define "tollgate.auditLeaseName" -}}
{{- printf "%s-audit" (include "tollgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
