// Labels in Vietnamese (the default) and English, and number and date formats per language.

const STRINGS = {
  vi: {
    'nav.overview': 'Tổng quan',
    'nav.land': 'Đất đai',
    'nav.enterprises': 'Doanh nghiệp',
    'lang.switch': 'English',
    'signin.open': 'Đăng nhập bằng khóa',
    'signin.title': 'Khóa API của cơ quan',
    'signin.help': 'Không đăng nhập, trang chỉ hiện dữ liệu mở. Khóa của cơ quan hiện thêm những gì khóa được cấp quyền; dữ liệu cá nhân cần ghi rõ mục đích. Khóa chỉ được giữ trong thẻ trình duyệt này.',
    'signin.key': 'Khóa API',
    'signin.purpose': 'Mục đích sử dụng (bắt buộc với dữ liệu cá nhân)',
    'signin.submit': 'Đăng nhập',
    'signin.cancel': 'Hủy',
    'signin.signout': 'Đăng xuất',
    'signin.as': 'Đã đăng nhập: {name}',
    'signin.client': 'Khóa của ứng dụng {client}',
    'footer.asOf': 'Dữ liệu công bố lúc {at}',
    'land.noLegend': 'Không có chú giải: khu vực không tải được.',
    'land.noUse': 'Chưa rõ loại đất',
    'land.noFilter': 'Không lọc: mọi thửa đất của khu vực',
    'search.parcel': 'Tìm theo số tờ, số thửa',
    'search.parcelPlaceholder': 'vd. tờ 10 thửa 3',
    'search.parcelNotUnderstood': 'Không hiểu “{q}”: hãy viết số tờ và số thửa, ví dụ “tờ 10 thửa 3” hoặc “10/3”.',
    'search.sheetWord': 'tờ',
    'search.parcelWord': 'thửa',
    'export.csv': 'Tải danh sách (CSV)',
    'export.geojson': 'Tải bản đồ (GeoJSON)',
    'export.print': 'In',
    'export.failed': 'Không tải được tệp: {message}',
    'export.tooMany': 'Danh sách tải về tối đa {n} dòng: hãy thu hẹp tìm kiếm hoặc bộ lọc.',
    'parcel.backToList': '‹ Quay lại danh sách thửa đất',
    'overview.byCommune': 'Theo xã, phường',
    'overview.measure': 'Chỉ tiêu',
    'overview.noCommune': 'Chưa xác định xã, phường',
    'overview.mapNote': 'Mỗi xã, phường là một hình tròn đặt tại trung tâm, diện tích bằng diện tích tự nhiên (kho chưa có dữ liệu ranh giới); màu theo 5 nhóm có số xã bằng nhau. Bấm để xem đất đai của xã.',
    'measure.parcels': 'Số thửa đất',
    'measure.area': 'Diện tích đất (ha)',
    'measure.enterprises': 'Số doanh nghiệp, hộ kinh doanh',
    'measure.use': 'Diện tích {use} (ha)',
    'asOf.label': 'Xem như tại ngày',
    'asOf.showing': 'Đang xem dữ liệu như tại ngày {date}',
    'asOf.today': 'Xem hiện tại',
    'asOf.none': 'Kho chưa có bản ghi nào của đối tượng này vào ngày đó.',
    'enterprises.searchIn': 'Tìm trong',
    'enterprises.searchLabel': 'Tìm doanh nghiệp, hộ kinh doanh',
    'enterprises.searchAddress': 'Tên đường, xã, phường (có dấu hoặc không)',
    'enterprises.inName': 'tên, mã số',
    'enterprises.inAddress': 'địa chỉ (đường, xã, phường)',
    'enterprises.charts': 'Số liệu theo kết quả tìm',
    'print.source': 'Nguồn: kho dữ liệu dùng chung của tỉnh ({url}); in lúc {at}.',
    'grant.shared': 'dữ liệu dùng chung về {dataset}',
    'grant.personal': 'dữ liệu cá nhân về {dataset}',
    'grant.audit': 'nhật ký truy cập dữ liệu cá nhân',
    'grant.steward': 'hàng đợi đối chiếu dữ liệu',
    'dataset.land': 'đất đai',
    'dataset.enterprise': 'đăng ký kinh doanh',
    'dataset.civil_registry': 'hộ tịch',
    'dataset.cadre': 'cán bộ, công chức',
    'source.land': 'Văn phòng đăng ký đất đai (Sở Nông nghiệp và Môi trường)',
    'source.enterprise': 'Phòng Đăng ký kinh doanh (Sở Tài chính)',
    'source.civil_registry': 'Sở Tư pháp',
    'source.cadre': 'Sở Nội vụ',
    'signin.anonymous': 'Dữ liệu mở (chưa đăng nhập)',
    'signin.change': 'Khóa…',
    'signin.rejected': 'Khóa bị từ chối: {message}',
    'footer.licence': 'Dữ liệu mở theo giấy phép CC BY 4.0',
    'state.loading': 'Đang tải…',
    'state.error': 'Không tải được dữ liệu.',
    'state.purpose': 'Phần này là {what}. Cơ quan của bạn được xem, nhưng luật yêu cầu ghi rõ mục đích sử dụng: đăng nhập lại và ghi mục đích.',
    'error.NOT_FOUND': 'Không tìm thấy.',
    'error.BAD_USER_INPUT': 'Yêu cầu không hợp lệ.',
    'error.RATE_LIMITED': 'Quá nhiều yêu cầu trong một phút; vui lòng thử lại sau.',
    'error.TIMEOUT': 'Truy vấn chạy quá lâu; hãy thu hẹp bộ lọc.',
    'error.UNAUTHENTICATED': 'Khóa API bị từ chối.',
    'error.NETWORK': 'Không kết nối được máy chủ.',
    'error.SERVICE_UNAVAILABLE': 'Dịch vụ tạm thời không cung cấp phần này; vui lòng thử lại sau.',
    'error.FORBIDDEN': 'Bạn không có quyền xem phần này.',
    'signin.expired': 'Khóa API không còn được chấp nhận ({message}). Đăng nhập lại hoặc đăng xuất.',
    'area.badUnit': 'Đường dẫn chứa mã đơn vị hành chính không hợp lệ: “{unit}”.',
    'enterprises.codeSearch': 'Tìm theo mã số doanh nghiệp: khu vực và các bộ lọc không áp dụng.',
    'aria.main': 'Trang chính',
    'aria.pages': 'Trang',
    'map.label': 'Bản đồ {n} thửa đất',
    'state.retry': 'Thử lại',
    'state.withheld': 'Phần này là {what}, chỉ cơ quan được cấp quyền mới xem được. Nếu cơ quan của bạn được cấp, hãy đăng nhập bằng khóa của cơ quan.',
    'state.notfound': 'Không tìm thấy.',
    'area.province': 'Tỉnh / thành phố',
    'area.search': 'Tìm xã, phường (tên mới hoặc cũ, có dấu hoặc không)',
    'area.current': 'hiện hành',
    'area.legacy': 'tên cũ, trước 1/7/2025',
    'area.nowIn': 'nay thuộc {name}',
    'area.formerly': 'gồm các đơn vị cũ: {names}',
    'area.noMatch': 'Không có xã, phường nào khớp “{q}”.',
    'area.whole': 'Toàn tỉnh',
    'area.unknown': 'Không có đơn vị hành chính mã {code}.',
    'overview.title': 'Tổng quan {area}',
    'overview.parcels': 'Thửa đất',
    'overview.area': 'Diện tích',
    'overview.enterprises': 'Doanh nghiệp, chi nhánh, hộ kinh doanh',
    'overview.landByUse': 'Diện tích đất theo loại đất',
    'overview.enterprisesByIndustry': 'Doanh nghiệp theo ngành',
    'chart.csv': 'Tải CSV',
    'chart.empty': 'Không có số liệu cho khu vực này.',
    'land.title': 'Đất đai {area}',
    'land.filters': 'Bộ lọc',
    'land.landUse': 'Loại đất',
    'land.areaMin': 'Diện tích từ (m²)',
    'land.areaMax': 'đến (m²)',
    'land.zone': 'Khu quy hoạch',
    'land.anyZone': 'Mọi khu',
    'land.reset': 'Bỏ lọc',
    'land.legend': 'Chú giải',
    'land.mapCount': 'Bản đồ: {n} thửa',
    'land.tableCount': '{n} thửa khớp bộ lọc',
    'land.mapTooMany': 'Khu vực có {n} thửa, quá nhiều để vẽ; chọn một xã, phường để xem bản đồ.',
    'land.empty': 'Không có thửa đất nào khớp bộ lọc.',
    'land.sort': 'Sắp xếp',
    'sort.ID': 'Mặc định',
    'sort.PARCEL_NUMBER': 'Số tờ, số thửa',
    'sort.AREA_DESC': 'Diện tích giảm dần',
    'sort.AREA_ASC': 'Diện tích tăng dần',
    'sort.NAME': 'Tên',
    'sort.REGISTERED_ON': 'Ngày đăng ký',
    'map.zoomIn': 'Phóng to',
    'map.zoomOut': 'Thu nhỏ',
    'map.reset': 'Toàn cảnh',
    'map.help': 'Kéo để di chuyển, cuộn để phóng to; bấm vào thửa để xem chi tiết.',
    'map.sheet': 'Tờ {n}',
    'map.outlineNote': 'Màu xám: các thửa khác của xã, phường. Nét xanh: các tờ bản đồ. Nét đứt tím: ranh giới xã, phường ước lượng theo bao lồi các thửa đất (kho chưa có dữ liệu ranh giới hành chính).',
    'col.sheet': 'Tờ',
    'col.parcel': 'Thửa',
    'col.area': 'Diện tích (m²)',
    'col.landUse': 'Loại đất',
    'col.zone': 'Khu quy hoạch',
    'col.commune': 'Xã, phường',
    'col.legacyCommune': 'Xã cũ',
    'col.certificate': 'Cấp GCN',
    'col.name': 'Tên',
    'col.code': 'Mã số',
    'col.type': 'Loại hình',
    'col.industry': 'Ngành',
    'col.legalForm': 'Loại hình pháp lý',
    'col.status': 'Tình trạng',
    'col.registeredOn': 'Ngày đăng ký',
    'col.holder': 'Người sử dụng đất',
    'col.share': 'Tỷ lệ',
    'col.from': 'Từ',
    'col.to': 'Đến',
    'col.current': 'Hiện hành',
    'col.kind': 'Hình thức',
    'col.date': 'Ngày',
    'col.fromHolder': 'Bên chuyển',
    'col.toHolder': 'Bên nhận',
    'col.role': 'Vai trò',
    'col.count': 'Số lượng',
    'col.parcels': 'Số thửa',
    'col.enterprises': 'Doanh nghiệp',
    'col.areaHa': 'Diện tích (ha)',
    'page.prev': '‹ Trang trước',
    'page.next': 'Trang sau ›',
    'page.first': '« Trang đầu',
    'page.range': '{from}–{to} / {total}',
    'parcel.title': 'Thửa đất số {parcel}, tờ bản đồ số {sheet}',
    'parcel.facts': 'Thông tin thửa đất',
    'parcel.rights': 'Quyền sử dụng đất (lịch sử)',
    'parcel.transfers': 'Chuyển quyền',
    'parcel.noRights': 'Không có quyền sử dụng đất nào được ghi nhận.',
    'parcel.noTransfers': 'Chưa có lần chuyển quyền nào.',
    'parcel.back': '‹ Các thửa đất của {area}',
    'parcel.source': 'Nguồn, ngày cập nhật',
    'parcel.certificate': 'Giấy chứng nhận',
    'parcel.yes': 'có',
    'parcel.no': 'không',
    'enterprises.title': 'Doanh nghiệp {area}',
    'enterprises.search': 'Tìm theo tên (có dấu hoặc không) hoặc mã số doanh nghiệp',
    'enterprises.anyIndustry': 'Mọi ngành',
    'enterprises.anyForm': 'Mọi loại hình',
    'enterprises.anyStatus': 'Mọi tình trạng',
    'enterprises.anyType': 'Mọi loại',
    'enterprises.byIndustry': 'Theo ngành',
    'enterprises.byStatus': 'Theo tình trạng',
    'enterprises.count': '{n} kết quả',
    'enterprises.empty': 'Không có doanh nghiệp nào khớp.',
    'enterprises.searchShort': 'Nhập ít nhất 2 ký tự để tìm theo tên.',
    'enterprise.facts': 'Thông tin đăng ký',
    'enterprise.branches': 'Chi nhánh',
    'enterprise.parcels': 'Thửa đất đang sử dụng',
    'enterprise.representatives': 'Người đại diện theo pháp luật / chủ hộ',
    'enterprise.noBranches': 'Không có chi nhánh.',
    'enterprise.noParcels': 'Không sử dụng thửa đất nào.',
    'enterprise.address': 'Địa chỉ',
    'enterprise.capital': 'Vốn điều lệ (đồng)',
    'enterprise.parent': 'Thuộc doanh nghiệp',
    'enterprise.back': '‹ Danh sách doanh nghiệp',
    'type.ENTERPRISE': 'Doanh nghiệp',
    'type.BRANCH': 'Chi nhánh',
    'type.HOUSEHOLD_BUSINESS': 'Hộ kinh doanh',
    'type.STATE_AGENCY': 'Cơ quan nhà nước',
    'role.legal_representative': 'Người đại diện theo pháp luật',
    'role.owner': 'Chủ hộ kinh doanh',
    'holder.person': 'Cá nhân',
    'holder.organization': 'Tổ chức',
    'industry.other': 'Khác',
  },
  en: {
    'nav.overview': 'Overview',
    'nav.land': 'Land',
    'nav.enterprises': 'Enterprises',
    'lang.switch': 'Tiếng Việt',
    'signin.open': 'Sign in with a key',
    'signin.title': "Your agency's API key",
    'signin.help': "Without signing in, the pages show open data only. An agency key shows what it is granted; personal data needs a stated purpose. The key is kept in this browser tab only.",
    'signin.key': 'API key',
    'signin.purpose': 'Purpose (required for personal data)',
    'signin.submit': 'Sign in',
    'signin.cancel': 'Cancel',
    'signin.signout': 'Sign out',
    'signin.as': 'Signed in: {name}',
    'signin.client': 'Key of the client {client}',
    'footer.asOf': 'Data published {at}',
    'land.noLegend': 'No legend: the area could not be loaded.',
    'land.noUse': 'Land use unknown',
    'land.noFilter': 'No filter: every parcel of the area',
    'search.parcel': 'Find by map sheet and parcel number',
    'search.parcelPlaceholder': 'e.g. sheet 10 parcel 3, or tờ 10 thửa 3',
    'search.parcelNotUnderstood': '“{q}” is not understood: type the map sheet and the parcel number, as in “sheet 10 parcel 3” or “10/3”.',
    'search.sheetWord': 'sheet',
    'search.parcelWord': 'parcel',
    'export.csv': 'Download the list (CSV)',
    'export.geojson': 'Download the map (GeoJSON)',
    'export.print': 'Print',
    'export.failed': 'The file could not be downloaded: {message}',
    'export.tooMany': 'A downloaded list holds at most {n} rows: narrow the search or the filters.',
    'parcel.backToList': '‹ Back to the list of parcels',
    'overview.byCommune': 'By commune and ward',
    'overview.measure': 'Measure',
    'overview.noCommune': 'Commune not known',
    'overview.mapNote': 'Each commune or ward is a disc at its centre, as large as its territory (kho holds no boundaries), coloured in five classes of equal counts. Click one for its land.',
    'measure.parcels': 'Land parcels',
    'measure.area': 'Land area (ha)',
    'measure.enterprises': 'Enterprises and household businesses',
    'measure.use': 'Area of {use} (ha)',
    'asOf.label': 'As of',
    'asOf.showing': 'Showing the record as of {date}',
    'asOf.today': 'Show today',
    'asOf.none': 'kho holds no record of it on that date.',
    'enterprises.searchIn': 'Search in',
    'enterprises.searchLabel': 'Find an enterprise or household business',
    'enterprises.searchAddress': 'Street, commune or ward (with or without diacritics)',
    'enterprises.inName': 'name, code',
    'enterprises.inAddress': 'address (street, commune, ward)',
    'enterprises.charts': 'Figures of the search',
    'print.source': "Source: the province's shared data warehouse ({url}); printed {at}.",
    'grant.shared': 'shared {dataset} data',
    'grant.personal': 'personal {dataset} data',
    'grant.audit': 'the log of access to personal data',
    'grant.steward': 'the data stewards’ review queue',
    'dataset.land': 'land',
    'dataset.enterprise': 'business-register',
    'dataset.civil_registry': 'civil-registry',
    'dataset.cadre': 'civil-service',
    'source.land': 'Land Registration Office (Department of Agriculture and Environment)',
    'source.enterprise': 'Business Registration Office (Department of Finance)',
    'source.civil_registry': 'Department of Justice',
    'source.cadre': 'Department of Home Affairs',
    'signin.anonymous': 'Open data (not signed in)',
    'signin.change': 'Key…',
    'signin.rejected': 'The key was refused: {message}',
    'footer.licence': 'Open data under CC BY 4.0',
    'state.loading': 'Loading…',
    'state.error': 'Could not load the data.',
    'state.purpose': 'This part is {what}. Your agency may see it, but the law asks for the purpose to be stated: sign in again with a purpose.',
    'error.NOT_FOUND': 'Not found.',
    'error.BAD_USER_INPUT': 'The request is not valid.',
    'error.RATE_LIMITED': 'Too many requests in a minute; please try again shortly.',
    'error.TIMEOUT': 'The query took too long; narrow the filter.',
    'error.UNAUTHENTICATED': 'The API key was refused.',
    'error.NETWORK': 'Could not reach the server.',
    'error.SERVICE_UNAVAILABLE': 'The service cannot give this part at the moment; please try again shortly.',
    'error.FORBIDDEN': 'You may not see this part.',
    'signin.expired': 'The API key is no longer accepted ({message}). Sign in again or sign out.',
    'area.badUnit': 'The link holds an admin-unit code that is not one: “{unit}”.',
    'enterprises.codeSearch': 'Search by enterprise code: the area and the filters do not apply.',
    'aria.main': 'Main',
    'aria.pages': 'Pages',
    'map.label': 'Map of {n} land parcels',
    'state.retry': 'Retry',
    'state.withheld': "This part is {what}, shown only to agencies granted it. If your agency is, sign in with its key.",
    'state.notfound': 'Not found.',
    'area.province': 'Province / city',
    'area.search': 'Find a commune or ward (current or former name, with or without diacritics)',
    'area.current': 'current',
    'area.legacy': 'former name, before 1 July 2025',
    'area.nowIn': 'now part of {name}',
    'area.formerly': 'formed from: {names}',
    'area.noMatch': 'No commune or ward matches “{q}”.',
    'area.whole': 'Whole province',
    'area.unknown': 'There is no admin unit with the code {code}.',
    'overview.title': 'Overview: {area}',
    'overview.parcels': 'Land parcels',
    'overview.area': 'Area',
    'overview.enterprises': 'Enterprises, branches and household businesses',
    'overview.landByUse': 'Land area by land use',
    'overview.enterprisesByIndustry': 'Enterprises by industry',
    'chart.csv': 'Download CSV',
    'chart.empty': 'No figures for this area.',
    'land.title': 'Land: {area}',
    'land.filters': 'Filters',
    'land.landUse': 'Land use',
    'land.areaMin': 'Area from (m²)',
    'land.areaMax': 'to (m²)',
    'land.zone': 'Planning zone',
    'land.anyZone': 'Any zone',
    'land.reset': 'Clear filters',
    'land.legend': 'Legend',
    'land.mapCount': 'Map: {n} parcels',
    'land.tableCount': '{n} parcels match the filters',
    'land.mapTooMany': 'The area has {n} parcels, too many to draw; pick a commune or ward to see the map.',
    'land.empty': 'No parcel matches the filters.',
    'land.sort': 'Order',
    'sort.ID': 'Default',
    'sort.PARCEL_NUMBER': 'Map sheet, parcel number',
    'sort.AREA_DESC': 'Largest first',
    'sort.AREA_ASC': 'Smallest first',
    'sort.NAME': 'Name',
    'sort.REGISTERED_ON': 'Registration date',
    'map.zoomIn': 'Zoom in',
    'map.zoomOut': 'Zoom out',
    'map.reset': 'Fit all',
    'map.help': 'Drag to pan, scroll to zoom; click a parcel for its details.',
    'map.sheet': 'Sheet {n}',
    'map.outlineNote': "Grey: the commune's other parcels. Blue: the map sheets. Dashed purple: the commune's outline, estimated as the convex hull of its parcels (kho holds no boundary data).",
    'col.sheet': 'Sheet',
    'col.parcel': 'Parcel',
    'col.area': 'Area (m²)',
    'col.landUse': 'Land use',
    'col.zone': 'Planning zone',
    'col.commune': 'Commune / ward',
    'col.legacyCommune': 'Former commune',
    'col.certificate': 'Certificate issued',
    'col.name': 'Name',
    'col.code': 'Code',
    'col.type': 'Kind',
    'col.industry': 'Industry',
    'col.legalForm': 'Legal form',
    'col.status': 'Status',
    'col.registeredOn': 'Registered on',
    'col.holder': 'Right holder',
    'col.share': 'Share',
    'col.from': 'From',
    'col.to': 'Until',
    'col.current': 'Current',
    'col.kind': 'Kind',
    'col.date': 'Date',
    'col.fromHolder': 'From',
    'col.toHolder': 'To',
    'col.role': 'Role',
    'col.count': 'Count',
    'col.parcels': 'Parcels',
    'col.enterprises': 'Enterprises',
    'col.areaHa': 'Area (ha)',
    'page.prev': '‹ Previous',
    'page.next': 'Next ›',
    'page.first': '« First page',
    'page.range': '{from}–{to} of {total}',
    'parcel.title': 'Parcel {parcel}, map sheet {sheet}',
    'parcel.facts': 'Parcel',
    'parcel.rights': 'Land-use rights (history)',
    'parcel.transfers': 'Transfers',
    'parcel.noRights': 'No land-use right is recorded.',
    'parcel.noTransfers': 'No transfer yet.',
    'parcel.back': '‹ Parcels of {area}',
    'parcel.source': 'Source, last updated',
    'parcel.certificate': 'Certificate',
    'parcel.yes': 'yes',
    'parcel.no': 'no',
    'enterprises.title': 'Enterprises: {area}',
    'enterprises.search': 'Search by name (with or without diacritics) or enterprise code',
    'enterprises.anyIndustry': 'Any industry',
    'enterprises.anyForm': 'Any legal form',
    'enterprises.anyStatus': 'Any status',
    'enterprises.anyType': 'Any kind',
    'enterprises.byIndustry': 'By industry',
    'enterprises.byStatus': 'By status',
    'enterprises.count': '{n} results',
    'enterprises.empty': 'No enterprise matches.',
    'enterprises.searchShort': 'Type at least 2 characters to search by name.',
    'enterprise.facts': 'Registration',
    'enterprise.branches': 'Branches',
    'enterprise.parcels': 'Parcels it holds',
    'enterprise.representatives': 'Legal representative / owner',
    'enterprise.noBranches': 'No branches.',
    'enterprise.noParcels': 'Holds no parcel.',
    'enterprise.address': 'Address',
    'enterprise.capital': 'Charter capital (VND)',
    'enterprise.parent': 'Branch of',
    'enterprise.back': '‹ Enterprises',
    'type.ENTERPRISE': 'Enterprise',
    'type.BRANCH': 'Branch',
    'type.HOUSEHOLD_BUSINESS': 'Household business',
    'type.STATE_AGENCY': 'State agency',
    'role.legal_representative': 'Legal representative',
    'role.owner': 'Owner of the household business',
    'holder.person': 'Person',
    'holder.organization': 'Organization',
    'industry.other': 'Other',
    'zone.Khu dân cư hiện hữu': 'Existing residential area',
    'zone.Khu nông nghiệp': 'Agricultural zone',
    'zone.Khu công nghiệp': 'Industrial zone',
    'zone.Khu đô thị mới': 'New urban area',
    'zone.Khu cây xanh': 'Green space',
    'zone.Khu thương mại dịch vụ': 'Commercial and services zone',
  },
};

const LANGUAGES = ['vi', 'en'];
let current = initialLanguage();

function initialLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (LANGUAGES.includes(asked)) return asked;
  const kept = localStorage.getItem('kho.lang');
  return LANGUAGES.includes(kept) ? kept : 'vi';
}

export function lang() {
  return current;
}

// remember: the reader's own choice (the language button), kept for their next visit; a
// language that came with a link is not.
export function setLang(language, { remember = false } = {}) {
  current = LANGUAGES.includes(language) ? language : 'vi';
  if (remember) localStorage.setItem('kho.lang', current);
  document.documentElement.lang = current;
}

// The language a link asks for (lang=en), else the reader's own choice.
export function followLink() {
  const wanted = initialLanguage();
  if (wanted !== current) setLang(wanted);
  return wanted;
}

// A planning zone as the register names it (in Vietnamese), in the reader's language.
export function zoneName(zone) {
  if (!zone) return '';
  return current === 'en' && STRINGS.en[`zone.${zone}`] ? STRINGS.en[`zone.${zone}`] : zone;
}

// The agency a source system belongs to, by name.
export function sourceName(source) {
  return source && has(`source.${source}`) ? t(`source.${source}`) : source ?? '';
}

// A grant in words ("land:shared": shared land data), for the notes on withheld parts.
export function grantWords(grant) {
  const [dataset, level] = (grant ?? '').split(':');
  if (level && has(`grant.${level}`) && has(`dataset.${dataset}`)) {
    return t(`grant.${level}`, { dataset: t(`dataset.${dataset}`) });
  }
  return has(`grant.${dataset}`) ? t(`grant.${dataset}`) : grant ?? '?';
}

export function has(key) {
  return key in STRINGS[current] || key in STRINGS.vi;
}

export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// A field that comes in both languages (landUseNameVi / landUseNameEn).
export function pick(record, base) {
  if (!record) return '';
  const vi = record[`${base}Vi`];
  const en = record[`${base}En`];
  return (current === 'en' ? en || vi : vi || en) ?? '';
}

function locale() {
  return current === 'vi' ? 'vi-VN' : 'en-GB';
}

export function number(value, digits = 0) {
  if (value == null) return '';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

export function date(iso) {
  if (!iso) return '';
  const [y, m, d] = iso.slice(0, 10).split('-');
  return current === 'vi' ? `${d}/${m}/${y}` : `${y}-${m}-${d}`;
}

// A moment (the API's ISO date-time) in the province's time zone.
export function dateTime(iso) {
  if (!iso) return '';
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { year: 'numeric',
    month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    timeZone: 'Asia/Ho_Chi_Minh' }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${date(`${parts.year}-${parts.month}-${parts.day}`)} ${parts.hour}:${parts.minute}`;
}

// Static labels in the page shell (data-i18n) and the navigation.
export function translateShell() {
  document.documentElement.lang = current;
  for (const element of document.querySelectorAll('[data-i18n]')) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    link.textContent = t(`nav.${link.dataset.view}`);
  }
  document.querySelector('header nav').setAttribute('aria-label', t('aria.main'));
  document.getElementById('lang-button').textContent = t('lang.switch');
}
